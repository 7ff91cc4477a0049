import type { EpochDetector, EpochEvent } from './types.js';
import { detectorFromMatchers, type LineMatcher } from './line-splitter.js';

/**
 * Facts learned from one stream that the other stream's detector needs: the Trainer logs its banner to stderr
 * while its log dicts go to stdout (tqdm.write), so both detectors of one run should share one context.
 */
export interface EpochContext {
  total: number | null;
}

export function createEpochContext(): EpochContext {
  return { total: null };
}

// `  Num Epochs = 3` (thousands separators since transformers 4.3x; may follow a logging prefix).
const BANNER_EPOCHS = /\bNum Epochs = (\d[\d,]*)\s*$/;
// `  Continuing training from epoch 1`: epochs already done when resuming from a checkpoint.
const RESUMED = /^(?:.*>> )?\s+Continuing training from epoch (\d+)\s*$/;
// `'epoch': 0.5`, `"epoch": 2.0` or, in newer Trainers, `'epoch': '0.1389'`; only inside a dict-like line.
const MAX_JUMP = 1000;
const EPOCH_VALUE = /(['"])epoch\1\s*:\s*(['"]?)(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\2\s*[,}]/;

/**
 * Hugging Face Trainer log dicts carry a fractional `epoch`; the epoch k ends when the value reaches k.
 * Every whole number crossed ends one epoch, so a jump 0.5 → 2.0 ends epochs 1 and 2.
 */
export function createHuggingFaceMatcher(context: EpochContext = createEpochContext()): LineMatcher {
  let nextEnd = 1;
  return {
    line(text) {
      const banner = BANNER_EPOCHS.exec(text);
      if (banner) {
        const total = Number(banner[1]!.replace(/,/g, ''));
        if (Number.isSafeInteger(total) && total > 0) context.total = total;
        return [];
      }
      const resumed = RESUMED.exec(text);
      if (resumed) {
        const done = Number(resumed[1]);
        if (Number.isSafeInteger(done)) nextEnd = Math.max(nextEnd, done + 1);
        return [];
      }
      const brace = text.indexOf('{');
      if (brace < 0) return [];
      const m = EPOCH_VALUE.exec(text.slice(brace));
      if (!m) return [];
      const value = Number(m[3]);
      // No real log step skips a thousand epochs: such a value is garbage, not thousands of boundaries.
      if (!Number.isFinite(value) || value - nextEnd >= MAX_JUMP) return [];
      const events: EpochEvent[] = [];
      for (; value >= nextEnd; nextEnd += 1) {
        events.push({ kind: 'end', printed: nextEnd, total: context.total, source: 'huggingface' });
      }
      return events;
    },
  };
}

export function createHuggingFaceDetector(context?: EpochContext): EpochDetector {
  return detectorFromMatchers([createHuggingFaceMatcher(context)]);
}
