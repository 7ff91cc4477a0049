import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLightningDetector } from '../../../src/epochs/lightning.js';
import { brief, chunkings, feedAll, fixture } from './feed-helpers.js';

test('TQDMProgressBar: 0-based epochs redrawn many times start once each, 1-based', () => {
  for (const events of chunkings(fixture('lightning-tqdm.stdout.txt'), createLightningDetector)) {
    assert.deepEqual(brief(events), ['start 1/? lightning', 'start 2/? lightning', 'start 3/? lightning']);
  }
});

test("Lightning's stderr (summary, warnings, fit stopped) starts nothing", () => {
  assert.deepEqual(feedAll(createLightningDetector(), fixture('lightning-tqdm.stderr.txt')), []);
});

test('RichProgressBar: `Epoch 2/9` means max_epochs 10; redraws of earlier bars start nothing', () => {
  for (const events of chunkings(fixture('lightning-rich.stdout.txt'), createLightningDetector)) {
    assert.deepEqual(brief(events), ['start 1/3 lightning', 'start 2/3 lightning', 'start 3/3 lightning']);
  }
});

test('tqdm variants: unknown length, `/max` before the colon, endless max_epochs', () => {
  const text = [
    'Epoch 0: |          | 5/? [00:00<00:00, 12.1it/s]',
    'Epoch 0: |          | 9/? [00:01<00:00, 12.1it/s]',
    'Epoch 1/9:  45%|████▌     | 9/20 [00:01<00:01, 7.68it/s]',
  ].join('\r');
  const events = feedAll(createLightningDetector(), text);
  assert.deepEqual(brief(events), ['start 1/? lightning', 'start 2/10 lightning']);
  const endless = feedAll(createLightningDetector(), 'Epoch 2/-2 ━━━━━━━━━━━━━━ 3/10 0:00:01 • 0:00:02 5.12it/s\n');
  assert.deepEqual(brief(endless), ['start 3/? lightning']);
});

test('validation, sanity-check and test bars are not epochs', () => {
  const text = [
    'Sanity Checking DataLoader 0:  50%|█████     | 1/2 [00:00<00:00, 95.24it/s]',
    'Validation: |          | 0/? [00:00<?, ?it/s]',
    'Validation DataLoader 0: 100%|██████████| 2/2 [00:00<00:00, 95.24it/s]',
    'Testing DataLoader 0: 100%|██████████| 133/133 [00:07<00:00, 17.44it/s]',
    'Epoch 3: early stopping',
    'Epoch 3: loss=0.5',
  ].join('\n');
  assert.deepEqual(feedAll(createLightningDetector(), text), []);
});

test('lines that mention epochs otherwise start nothing', () => {
  assert.deepEqual(feedAll(createLightningDetector(), fixture('false-positives.txt')), []);
});
