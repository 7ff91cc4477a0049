import { invalid } from '../../errors.js';

export interface EpochStat {
  epoch: number;
  durationS: number;
  energyJ: number;
  avgPowerW: number;
}

export interface EstimatorInput {
  /** Closed epochs, in order. */
  epochs: EpochStat[];
  /** Stabilizing epoch: the window starts right after it; null while not known. */
  stableFromEpoch: number | null;
  windowEpochs: number;
  /** Epochs the run will have; null when unknown (no projection then). */
  expectedEpochs: number | null;
  /** Seconds since the run started. */
  elapsedS: number;
}

export interface Estimate {
  method: string;
  projectedJ: number;
  /** The 95 % band (see uncertaintyJ); null while the window has fewer than two epochs. */
  lowJ: number | null;
  highJ: number | null;
  remainingS: number | null;
  /** The w-epoch window after the stabilizing epoch is not complete yet. */
  provisional: boolean;
  /** Epoch numbers the projection used. */
  window: number[];
}

export interface Estimator {
  name: string;
  estimate(input: EstimatorInput): Estimate | null;
}

/** What both online estimators work from: the checked input split into the window and the epochs before it. */
export interface Prepared {
  epochs: EpochStat[];
  /** Epochs the projection is made from (the window, or the provisional stand-in). */
  window: EpochStat[];
  /** Epochs before the window start (counted as measured in the epoch-energy formula). */
  before: EpochStat[];
  expected: number;
  remaining: number;
  provisional: boolean;
  elapsedS: number;
}

const isCount = (v: unknown, min: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isNonNeg = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function check(input: EstimatorInput): void {
  if (input === null || typeof input !== 'object' || !Array.isArray(input.epochs)) {
    throw invalid('estimator: input.epochs must be an array');
  }
  if (!isCount(input.windowEpochs, 1)) throw invalid('estimator: windowEpochs must be an integer >= 1');
  if (input.expectedEpochs !== null && !isCount(input.expectedEpochs, 1)) {
    throw invalid('estimator: expectedEpochs must be null or an integer >= 1');
  }
  if (input.stableFromEpoch !== null && !isCount(input.stableFromEpoch, 0)) {
    throw invalid('estimator: stableFromEpoch must be null or an integer >= 0');
  }
  if (!isNonNeg(input.elapsedS)) throw invalid('estimator: elapsedS must be a finite number >= 0');
  input.epochs.forEach((e, i) => {
    if (e === null || typeof e !== 'object' || !isCount(e.epoch, 1)) throw invalid(`estimator: epochs[${i}].epoch must be an integer >= 1`);
    if (i > 0 && e.epoch <= input.epochs[i - 1]!.epoch) throw invalid('estimator: epochs must be in ascending order');
    if (!isNonNeg(e.durationS) || e.durationS === 0) throw invalid(`estimator: epoch ${e.epoch} has no valid duration`);
    if (!isNonNeg(e.energyJ)) throw invalid(`estimator: epoch ${e.epoch} has no valid energy`);
  });
}

/**
 * Checks the input and picks the window: w epochs right after the stabilizing epoch. Until it is complete the
 * closed part of it stands in (or every closed epoch when none of it has closed yet), marked provisional. Null
 * when nothing can be projected: no closed epoch, or the expected epoch count unknown.
 */
export function prepare(input: EstimatorInput): Prepared | null {
  check(input);
  const { epochs, stableFromEpoch: s, windowEpochs: w } = input;
  if (epochs.length === 0 || input.expectedEpochs === null) return null;
  // A run that outlives its announced epoch count is projected to the epochs it already has.
  const expected = Math.max(input.expectedEpochs, epochs[epochs.length - 1]!.epoch);
  const last = Math.min(s === null ? 0 : s + w, expected);
  const inWindow = s === null ? [] : epochs.filter((e) => e.epoch > s && e.epoch <= last);
  // Complete means all w epochs of the window closed: a run with fewer epochs after s stays provisional (honest).
  const full = s !== null && inWindow.length === w;
  const window = inWindow.length > 0 ? inWindow : epochs;
  const start = window[0]!.epoch;
  return {
    epochs,
    window,
    before: epochs.filter((e) => e.epoch < start),
    expected,
    remaining: expected - epochs[epochs.length - 1]!.epoch,
    provisional: !full,
    elapsedS: input.elapsedS,
  };
}

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** Two-sided 95 % quantiles of Student's t by degrees of freedom (1–10, then 15, 20, 30; 1.96 beyond). */
const T95: [number, number][] = [[1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [5, 2.571], [6, 2.447], [7, 2.365], [8, 2.306],
  [9, 2.262], [10, 2.228], [15, 2.131], [20, 2.086], [30, 2.042]];
const t95 = (dof: number): number => T95.find(([d]) => dof <= d)?.[1] ?? 1.96;

/**
 * Half-width of the 95 % band of a projection: the epochs still to come (n) are taken as drawn like the window's
 * epochs, whose energies vary with standard deviation σ (w of them): their total varies by σ√n, and the window mean
 * it is projected from by nσ/√w, so ± t₀.₉₇₅(w−1) · σ · √(n + n²/w). Null below two window epochs (no σ); 0 once
 * nothing remains.
 */
export function uncertaintyJ(windowEnergies: number[], remainingEpochs: number): number | null {
  const w = windowEnergies.length;
  if (w < 2) return null;
  const mean = sum(windowEnergies) / w;
  const sd = Math.sqrt(sum(windowEnergies.map((x) => (x - mean) ** 2)) / (w - 1));
  const n = Math.max(0, remainingEpochs);
  return t95(w - 1) * sd * Math.sqrt(n + (n * n) / w);
}
