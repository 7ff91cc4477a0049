import type { EpochDetector, EpochEvent } from './types.js';
import { detectorFromMatchers, type LineMatcher } from './line-splitter.js';

// Keras' ProgbarLogger prints `Epoch {epoch + 1}/{epochs}` alone on a line (only when epochs > 1); callbacks print
// `Epoch 3: early stopping` / `Epoch 00003: val_loss improved…`, which this deliberately does not match.
const KERAS_EPOCH = /^\s*Epoch (\d+)\/(\d+)\s*$/;

/** Keras `model.fit` (verbose 1 or 2): `Epoch 3/50` starts epoch 3 of 50. */
export function createKerasMatcher(): LineMatcher {
  let last: number | null = null;
  return {
    line(text) {
      const m = KERAS_EPOCH.exec(text);
      if (!m) return [];
      const printed = Number(m[1]);
      const total = Number(m[2]);
      if (!Number.isSafeInteger(printed) || !Number.isSafeInteger(total)) return [];
      // An echoed copy of the same marker must not start the epoch twice.
      if (printed === last) return [];
      last = printed;
      const event: EpochEvent = { kind: 'start', printed, total: total > 0 ? total : null, source: 'keras' };
      return [event];
    },
  };
}

export function createKerasDetector(): EpochDetector {
  return detectorFromMatchers([createKerasMatcher()]);
}
