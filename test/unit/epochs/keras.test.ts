import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKerasDetector } from '../../../src/epochs/keras.js';
import { brief, chunkings, feedAll, fixture } from './feed-helpers.js';

test('Keras 3 verbose=1 (backspace redraws, ANSI) starts each epoch once with its total', () => {
  for (const events of chunkings(fixture('keras3-verbose1.stdout.txt'), createKerasDetector)) {
    assert.deepEqual(brief(events), ['start 1/3 keras', 'start 2/3 keras', 'start 3/3 keras']);
  }
});

test('tf.keras 2 verbose=1 with ModelCheckpoint lines', () => {
  for (const events of chunkings(fixture('keras2-verbose1.stdout.txt'), createKerasDetector)) {
    assert.deepEqual(brief(events), ['start 1/3 keras', 'start 2/3 keras', 'start 3/3 keras']);
  }
});

test('verbose=2, callbacks chatter and a second fit restarting at epoch 1', () => {
  const events = feedAll(createKerasDetector(), fixture('keras-verbose2.stdout.txt'));
  assert.deepEqual(brief(events), [
    'start 1/3 keras',
    'start 2/3 keras',
    'start 3/3 keras',
    'start 1/2 keras',
    'start 2/2 keras',
  ]);
});

test('an echoed marker does not start the same epoch twice', () => {
  const events = feedAll(createKerasDetector(), 'Epoch 4/9\nEpoch 4/9\nEpoch 5/9\n');
  assert.deepEqual(brief(events), ['start 4/9 keras', 'start 5/9 keras']);
});

test('a marker without a newline is flushed by end()', () => {
  const d = createKerasDetector();
  assert.deepEqual(d.feed('Epoch 1/2'), []);
  assert.deepEqual(brief(d.end()), ['start 1/2 keras']);
});

test('lines that mention epochs otherwise start nothing', () => {
  assert.deepEqual(feedAll(createKerasDetector(), fixture('false-positives.txt')), []);
});
