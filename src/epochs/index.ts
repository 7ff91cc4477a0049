import type { EpochDetector } from './types.js';
import { detectorFromMatchers } from './line-splitter.js';
import { createKerasMatcher } from './keras.js';
import { createLightningMatcher } from './lightning.js';
import { createEpochContext, createHuggingFaceMatcher, type EpochContext } from './huggingface.js';
import { compileEpochPattern, createPatternMatcher } from './pattern.js';
import { BUILTIN_NEEDLE, prefilterEpochs, type ByteEpochDetector } from './prefilter.js';

export type { EpochDetector, EpochEvent } from './types.js';
export type { ByteEpochDetector } from './prefilter.js';
export type { EpochContext } from './huggingface.js';
export { compileEpochPattern } from './pattern.js';
export { createEpochContext } from './huggingface.js';
export { createKerasDetector } from './keras.js';
export { createLightningDetector } from './lightning.js';
export { createHuggingFaceDetector } from './huggingface.js';
export { createPatternDetector } from './pattern.js';
export { createLineSplitter, stripAnsi, MAX_LINE_CHARS } from './line-splitter.js';

export interface EpochDetectorOptions {
  /** A user `--epoch-pattern`; when given, only it is used. Throws like `compileEpochPattern` when invalid. */
  pattern?: string | null;
  /** Share one context between the stdout and stderr detectors of a run (the HF banner and dicts differ in stream). */
  context?: EpochContext;
}

/** One detector for ONE output stream: the user's pattern alone, or Keras + Lightning + Hugging Face together. */
export function createEpochDetector(opts: EpochDetectorOptions = {}): EpochDetector {
  if (opts.pattern !== undefined && opts.pattern !== null) {
    return detectorFromMatchers([createPatternMatcher(compileEpochPattern(opts.pattern))]);
  }
  const context = opts.context ?? createEpochContext();
  return detectorFromMatchers([createKerasMatcher(), createLightningMatcher(), createHuggingFaceMatcher(context)]);
}

/** `createEpochDetector` over raw bytes, skipping (natively) every line that no built-in marker could be on. */
export function createByteEpochDetector(opts: EpochDetectorOptions = {}): ByteEpochDetector {
  const custom = opts.pattern !== undefined && opts.pattern !== null;
  return prefilterEpochs(createEpochDetector(opts), custom ? null : BUILTIN_NEEDLE);
}
