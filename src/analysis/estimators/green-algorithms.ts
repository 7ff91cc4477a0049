import { invalid } from '../../errors.js';

/** Green Algorithms' memory power, W per GB. */
export const GA_W_PER_GB = 0.3725;

export interface GreenAlgorithmsInput {
  tdpW: number;
  /** GPU usage, 0..1. */
  usage: number;
  ramGB: number;
  seconds: number;
}

/** Green Algorithms baseline: E = (TDP × usage + 0.3725 W/GB × RAM GB) × t (J). */
export function greenAlgorithms(input: GreenAlgorithmsInput): number {
  const { tdpW, usage, ramGB, seconds } = input;
  const bad = (v: number, max = Infinity): boolean => !Number.isFinite(v) || v < 0 || v > max;
  if (bad(tdpW)) throw invalid(`greenAlgorithms: tdpW must be a number >= 0, got ${tdpW}`);
  if (bad(usage, 1)) throw invalid(`greenAlgorithms: usage must be between 0 and 1, got ${usage}`);
  if (bad(ramGB)) throw invalid(`greenAlgorithms: ramGB must be a number >= 0, got ${ramGB}`);
  if (bad(seconds)) throw invalid(`greenAlgorithms: seconds must be a number >= 0, got ${seconds}`);
  return (tdpW * usage + GA_W_PER_GB * ramGB) * seconds;
}
