import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEpochContext, createHuggingFaceDetector } from '../../../src/epochs/huggingface.js';
import { brief, chunkings, feedAll, fixture } from './feed-helpers.js';

test('Trainer log dicts end each epoch once; the stderr banner gives the total through a shared context', () => {
  const stderr = fixture('hf-trainer.stderr.txt');
  const stdout = fixture('hf-trainer.stdout.txt');
  for (const events of chunkings(stdout, () => {
    const context = createEpochContext();
    feedAll(createHuggingFaceDetector(context), stderr);
    return createHuggingFaceDetector(context);
  })) {
    assert.deepEqual(brief(events), ['end 1/3 huggingface', 'end 2/3 huggingface', 'end 3/3 huggingface']);
  }
});

test('without the banner the total is null; the bars on stderr end nothing', () => {
  const events = feedAll(createHuggingFaceDetector(), fixture('hf-trainer.stdout.txt'));
  assert.deepEqual(brief(events), ['end 1/? huggingface', 'end 2/? huggingface', 'end 3/? huggingface']);
  assert.deepEqual(feedAll(createHuggingFaceDetector(), fixture('hf-trainer.stderr.txt')), []);
});

test("newer Trainers' string values (`'epoch': '1'`)", () => {
  const events = feedAll(createHuggingFaceDetector(), fixture('hf-trainer-quoted.stdout.txt'));
  assert.deepEqual(brief(events), ['end 1/? huggingface', 'end 2/? huggingface']);
});

test('a jump 0.5 → 2.0 ends epochs 1 and 2; JSON and repr forms', () => {
  const text = [
    "{'loss': 0.6931, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.5}",
    '{"loss": 0.5, "epoch": 2.0}',
    "{'eval_loss': 0.4, 'epoch': 2.0}",
    "{'loss': 0.3, 'epoch': 2.99}",
    "TrainOutput(global_step=30, training_loss=0.4, metrics={'train_runtime': 9.1, 'epoch': 3.0})",
  ].join('\n');
  const events = feedAll(createHuggingFaceDetector(), text);
  assert.deepEqual(brief(events), ['end 1/? huggingface', 'end 2/? huggingface', 'end 3/? huggingface']);
});

test('explicit-format banner: thousands separators, and a resumed run skips the epochs already done', () => {
  const d = createHuggingFaceDetector();
  assert.deepEqual(d.feed(fixture('hf-explicit-format.stderr.txt').toString()), []);
  const events = d.feed("{'loss': 0.2, 'epoch': 2.5}\n{'loss': 0.1, 'epoch': 3.0}\n");
  assert.deepEqual(brief(events), ['end 3/1000 huggingface']);
});

test('epoch values that are not boundaries: outside a dict, other keys, garbage numbers, going back', () => {
  const text = [
    "'epoch': 5.0 and no dict",
    "{'epoch_count': 7.0, 'loss': 0.1}",
    "{'loss': 0.5, 'epoch': 'NaN'}",
    "{'loss': 0.5, 'epoch': 1e300}",
    "{'loss': 0.5, 'epoch': -3.0}",
    "{'loss': 0.5, 'epoch': 0.99}",
  ].join('\n');
  assert.deepEqual(feedAll(createHuggingFaceDetector(), text), []);
  assert.deepEqual(feedAll(createHuggingFaceDetector(), fixture('false-positives.txt')), []);
});
