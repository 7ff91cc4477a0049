import { invalid } from '../errors.js';
import { GA_W_PER_GB } from './estimators/index.js';
import { fitKrr, looPredictions, type KrrModel } from './krr.js';

/** The study's offline features, in the order of the regression's columns. */
export const OFFLINE_FEATURES = [
  'gpu_cuda_cores', 'gpu_memory_gb', 'gpu_tdp_w', 'ram_gb', 'gflops', 'train_samples', 'val_samples', 'batch_size', 'input_size',
] as const;

export type OfflineFeature = (typeof OFFLINE_FEATURES)[number];
export type OfflineFeatures = Record<OfflineFeature, number>;

/** The features a run states itself (`profiler run --meta KEY=VALUE`); the GPU's and the RAM's come from the run. */
export const META_FEATURES = ['gflops', 'train_samples', 'val_samples', 'batch_size', 'input_size'] as const;
export type MetaFeature = (typeof META_FEATURES)[number];

/** Fewer finished runs with every feature than this and the offline estimate is not made. */
export const MIN_OFFLINE_RUNS = 5;

/** What one finished run teaches the offline estimators. */
export interface OfflineRun {
  id: string;
  features: OfflineFeatures;
  measuredJ: number;
  durationS: number;
  /** Closed epochs and the mean of their energies; null when the run has none. */
  epochs: number | null;
  meanEpochJ: number | null;
}

/** Only a plain decimal is a feature value ("1e3", "0x10", "" and "12 GB" are not). */
const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * One feature value from text: a non-negative decimal; counts (samples, batch size) whole; batch size, training
 * samples, GFLOPs and input size above zero. Anything else is PROF_ERR_INVALID naming the feature.
 */
export function parseFeature(name: OfflineFeature, raw: string): number {
  const text = raw.trim();
  if (text.startsWith('-')) throw invalid(`${name} must not be negative, got "${raw}"`);
  const v = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v)) throw invalid(`${name} must be a number, got "${raw}"`);
  const whole = name === 'train_samples' || name === 'val_samples' || name === 'batch_size' || name === 'gpu_cuda_cores';
  if (whole && !Number.isInteger(v)) throw invalid(`${name} must be a whole number, got "${raw}"`);
  if (v === 0 && name !== 'val_samples') throw invalid(`${name} must be above 0, got "${raw}"`);
  return v;
}

export const featureVector = (f: OfflineFeatures): number[] => OFFLINE_FEATURES.map((k) => f[k]);

/** The regression's view of the runs: mean power (W) of every run, mean epoch energy (J) of those with epochs. */
function targets(runs: OfflineRun[]): { power: OfflineRun[]; epoch: OfflineRun[] } {
  return {
    power: runs.filter((r) => r.durationS > 0 && r.measuredJ > 0),
    epoch: runs.filter((r) => r.epochs !== null && r.epochs > 0 && r.meanEpochJ !== null && r.meanEpochJ > 0),
  };
}

const meanPower = (r: OfflineRun): number => r.measuredJ / r.durationS;

export interface OfflineModels {
  /** Expected mean power (W, GPU + RAM as measured); null with fewer than MIN_OFFLINE_RUNS runs. */
  power: KrrModel | null;
  /** Expected mean epoch energy (J); null with fewer than MIN_OFFLINE_RUNS runs with epochs. */
  epochEnergy: KrrModel | null;
  powerRuns: number;
  epochRuns: number;
}

/** Fits the two offline regressions on the runs (each only with at least MIN_OFFLINE_RUNS rows). */
export function fitOffline(runs: OfflineRun[]): OfflineModels {
  const t = targets(runs);
  const fit = (rows: OfflineRun[], y: (r: OfflineRun) => number): KrrModel | null =>
    rows.length < MIN_OFFLINE_RUNS ? null : fitKrr(rows.map((r) => featureVector(r.features)), rows.map(y));
  return { power: fit(t.power, meanPower), epochEnergy: fit(t.epoch, (r) => r.meanEpochJ as number), powerRuns: t.power.length, epochRuns: t.epoch.length };
}

/** Predicted and measured total energy (J) of each held-out run. */
export interface OfflineLoo {
  power: Array<[number, number]>;
  epochEnergy: Array<[number, number]>;
  /** False when above NESTED_LOO_MAX runs the hyper-parameters were chosen once on all runs. */
  nested: boolean;
}

/**
 * Leave-one-out of the study's two offline methods: each run's mean power predicted without it × its duration, and
 * its mean epoch energy predicted without it × its epochs, against its measured total. Fewer than MIN_OFFLINE_RUNS
 * runs: no pairs.
 */
export function offlineLoo(runs: OfflineRun[]): OfflineLoo {
  const t = targets(runs);
  let nested = true;
  const loo = (rows: OfflineRun[], y: (r: OfflineRun) => number, scale: (r: OfflineRun) => number): Array<[number, number]> => {
    if (rows.length < MIN_OFFLINE_RUNS) return [];
    const out = looPredictions(rows.map((r) => featureVector(r.features)), rows.map(y));
    nested &&= out.nested;
    // As in the estimate, a prediction below zero (extrapolation) counts as 0.
    return rows.map((r, i) => [Math.max(0, out.predictions[i] as number) * scale(r), r.measuredJ]);
  };
  return {
    power: loo(t.power, meanPower, (r) => r.durationS),
    epochEnergy: loo(t.epoch, (r) => r.meanEpochJ as number, (r) => r.epochs as number),
    nested,
  };
}

export interface GreenAlgorithmsOffline {
  runtimeS: number;
  cpuCores: number;
  cpuCoreW: number;
  cpuUsage: number;
  gpuTdpW: number;
  gpuUsage: number;
  memGB: number;
  pue: number;
}

/**
 * Green Algorithms (Lannelongue, Grealey & Inouye 2021, Adv. Sci. 8:2100707): power = n_cores × P_core × usage +
 * P_gpu (TDP) × usage + mem_GB × 0.3725 W/GB, energy = runtime × power × PUE. Returns both (W, J).
 */
export function greenAlgorithmsOffline(g: GreenAlgorithmsOffline): { powerW: number; energyJ: number } {
  for (const [k, v] of Object.entries(g)) if (!Number.isFinite(v) || v < 0) throw invalid(`green algorithms: ${k} must be a number >= 0, got ${v}`);
  if (g.cpuUsage > 1 || g.gpuUsage > 1) throw invalid('green algorithms: usage factors are between 0 and 1');
  if (g.pue < 1) throw invalid(`green algorithms: a PUE is at least 1, got ${g.pue}`);
  const powerW = g.cpuCores * g.cpuCoreW * g.cpuUsage + g.gpuTdpW * g.gpuUsage + g.memGB * GA_W_PER_GB;
  return { powerW, energyJ: g.runtimeS * powerW * g.pue };
}

export interface OfflineEstimate {
  /** Finished runs with every feature (the power model's rows), and those of them with epochs. */
  runs: number;
  epochRuns: number;
  needed: number;
  meanPowerW: number | null;
  /** meanPowerW × the expected duration; null without one. */
  powerBasedJ: number | null;
  meanEpochJ: number | null;
  /** meanEpochJ × the expected epochs; null without them. */
  epochEnergyBasedJ: number | null;
  models: { power: ModelInfo | null; epochEnergy: ModelInfo | null };
  /** Features outside the range the training runs span (the regression extrapolates there). */
  outsideRange: OfflineFeature[];
}

interface ModelInfo {
  alpha: number;
  gamma: number;
  cvRmse: number | null;
}

/**
 * The study's two offline estimates for a planned run: expected mean power (× expected duration) and expected mean
 * epoch energy (× expected epochs), each from the regression on the user's runs (null below MIN_OFFLINE_RUNS).
 * A prediction below zero (far extrapolation) is reported as 0.
 */
export function estimateOffline(runs: OfflineRun[], f: OfflineFeatures, plan: { durationS: number | null; epochs: number | null }): OfflineEstimate {
  const m = fitOffline(runs);
  const x = featureVector(f);
  const meanPowerW = m.power === null ? null : Math.max(0, m.power.predict(x));
  const meanEpochJ = m.epochEnergy === null ? null : Math.max(0, m.epochEnergy.predict(x));
  const info = (k: KrrModel | null): ModelInfo | null => (k === null ? null : { alpha: k.alpha, gamma: k.gamma, cvRmse: k.cvRmse });
  const outsideRange = runs.length === 0 ? [] : OFFLINE_FEATURES.filter((k) => {
    const vs = runs.map((r) => r.features[k]);
    return f[k] < Math.min(...vs) || f[k] > Math.max(...vs);
  });
  return {
    runs: m.powerRuns,
    epochRuns: m.epochRuns,
    needed: MIN_OFFLINE_RUNS,
    meanPowerW,
    powerBasedJ: meanPowerW === null || plan.durationS === null ? null : meanPowerW * plan.durationS,
    meanEpochJ,
    epochEnergyBasedJ: meanEpochJ === null || plan.epochs === null ? null : meanEpochJ * plan.epochs,
    models: { power: info(m.power), epochEnergy: info(m.epochEnergy) },
    outsideRange,
  };
}
