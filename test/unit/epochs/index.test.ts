import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileEpochPattern, createEpochContext, createEpochDetector } from '../../../src/epochs/index.js';
import { brief, chunkings, feedAll, feedChunks, fixture, seeded } from './feed-helpers.js';

const EXPECTED: Record<string, string[]> = {
  'keras3-verbose1.stdout.txt': ['start 1/3 keras', 'start 2/3 keras', 'start 3/3 keras'],
  'keras2-verbose1.stdout.txt': ['start 1/3 keras', 'start 2/3 keras', 'start 3/3 keras'],
  'lightning-tqdm.stdout.txt': ['start 1/? lightning', 'start 2/? lightning', 'start 3/? lightning'],
  'lightning-tqdm.stderr.txt': [],
  'lightning-rich.stdout.txt': ['start 1/3 lightning', 'start 2/3 lightning', 'start 3/3 lightning'],
  'hf-trainer.stdout.txt': ['end 1/? huggingface', 'end 2/? huggingface', 'end 3/? huggingface'],
  'hf-trainer.stderr.txt': [],
  'custom-zero-based.stdout.txt': [],
  'false-positives.txt': [],
};

test('the combined detector recognizes each framework and nothing else, however the bytes are cut', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    for (const events of chunkings(fixture(name), () => createEpochDetector({}))) {
      assert.deepEqual(brief(events), expected, name);
    }
  }
});

test('stdout and stderr detectors sharing a context: HF total from the stderr banner', () => {
  const context = createEpochContext();
  const err = createEpochDetector({ pattern: null, context });
  const out = createEpochDetector({ context });
  assert.deepEqual(feedAll(err, fixture('hf-trainer.stderr.txt')), []);
  assert.deepEqual(brief(feedAll(out, fixture('hf-trainer.stdout.txt'))), [
    'end 1/3 huggingface',
    'end 2/3 huggingface',
    'end 3/3 huggingface',
  ]);
});

test('with a user pattern only the pattern is used', () => {
  const d = () => createEpochDetector({ pattern: String.raw`epoch=(?<epoch>\d+)/(?<total>\d+)` });
  assert.deepEqual(feedAll(d(), fixture('keras3-verbose1.stdout.txt')), []);
  assert.deepEqual(brief(feedAll(d(), fixture('custom-zero-based.stdout.txt'))), [
    'start 0/3 pattern',
    'start 1/3 pattern',
    'start 2/3 pattern',
  ]);
  assert.throws(() => createEpochDetector({ pattern: 'no group' }), /named group "epoch"/);
  assert.equal(compileEpochPattern(String.raw`(?<epoch>\d+)`).source, String.raw`(?<epoch>\d+)`);
});

test('garbage bytes start nothing and do not hide real markers around them', () => {
  const rnd = seeded(7);
  const garbage = Buffer.from(Array.from({ length: 1 << 20 }, () => Math.floor(rnd() * 256)));
  const events = feedChunks(createEpochDetector({}), garbage, () => 1 + rnd() * 4096);
  assert.deepEqual(events, []);
  const mixed = Buffer.concat([garbage.subarray(0, 5000), Buffer.from('\nEpoch 2/5\n'), garbage.subarray(5000, 9000)]);
  assert.deepEqual(brief(feedAll(createEpochDetector({}), mixed)), ['start 2/5 keras']);
});

test('an endless line without breaks does not stop later detection', () => {
  const d = createEpochDetector({});
  const block = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 200; i++) assert.deepEqual(d.feed(block), []);
  assert.deepEqual(brief(d.feed('\nEpoch 1/2\n')), ['start 1/2 keras']);
});
