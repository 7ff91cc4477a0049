import type { EpochDetector, EpochEvent } from './types.js';
import { detectorFromMatchers, type LineMatcher } from './line-splitter.js';

// TQDMProgressBar: `Epoch 2:  45%|████▌     | 9/20 [...]` or `Epoch 2: |          | 9/? [...]` (unknown length).
// Custom bars in Lightning's own convention may add `/{max_epochs - 1}` before the colon.
const TQDM_EPOCH = /^\s*Epoch (\d+)(?:\/(-?\d+))?: +(?:\d{1,3}%|\|)/;
// RichProgressBar: `Epoch 2/9 ━━━━━━━╸━━━ 9/20 0:00:01 • 0:00:02 7.68it/s v_num: 0` (description padded).
const RICH_EPOCH = /^\s*Epoch (\d+)\/(-?\d+) +(?:[━╸╺╾╼─-]|\d+\/)/;

/**
 * PyTorch Lightning progress bars. The bar is redrawn many times per epoch and prints the 0-based
 * `trainer.current_epoch`, so `Epoch 2` starts the third epoch; `Epoch 2/9` means max_epochs = 10.
 */
export function createLightningMatcher(): LineMatcher {
  // Only a higher epoch starts one: Rich redraws the bars of earlier epochs (leave=True) on every refresh.
  let highest = -1;
  let total: number | null = null;
  return {
    line(text) {
      const m = TQDM_EPOCH.exec(text) ?? RICH_EPOCH.exec(text);
      if (!m) return [];
      const epoch = Number(m[1]);
      if (!Number.isSafeInteger(epoch)) return [];
      if (m[2] !== undefined) {
        const maxIndex = Number(m[2]);
        // max_epochs = -1 (endless) prints `/-2`: no total then.
        if (Number.isSafeInteger(maxIndex) && maxIndex >= 0) total = maxIndex + 1;
      }
      if (epoch <= highest) return [];
      highest = epoch;
      const event: EpochEvent = { kind: 'start', printed: epoch + 1, total, source: 'lightning' };
      return [event];
    },
  };
}

export function createLightningDetector(): EpochDetector {
  return detectorFromMatchers([createLightningMatcher()]);
}
