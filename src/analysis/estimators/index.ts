import { epochEnergy } from './epoch-energy.js';
import { powerBased, powerBasedMeasuredWarmup } from './power-based.js';
import type { Estimate, Estimator } from './types.js';

export type { EpochStat, Estimate, Estimator, EstimatorInput } from './types.js';
export { epochEnergy } from './epoch-energy.js';
export { powerBased, powerBasedMeasuredWarmup } from './power-based.js';
export { mlco2 } from './mlco2.js';
export { greenAlgorithms, GA_W_PER_GB, type GreenAlgorithmsInput } from './green-algorithms.js';

/** The online estimators the product reports (run JSON `projection`, evaluation table). */
export const ESTIMATORS: readonly Estimator[] = [powerBased, epochEnergy];

/** Every online estimator, including the study's literal power formula; the contract tests loop over this list. */
export const ALL_ESTIMATORS: readonly Estimator[] = [...ESTIMATORS, powerBasedMeasuredWarmup];

export interface ProjectionBand {
  lowJ: number;
  highJ: number;
  remainingS: number | null;
}

/** The run JSON's `projection` object (the first five names are the public contract). */
export interface ProjectionJson {
  powerBasedJ: number | null;
  epochEnergyBasedJ: number | null;
  windowEpochs: number;
  stableFromEpoch: number | null;
  provisional: boolean;
  powerBased: ProjectionBand | null;
  epochEnergyBased: ProjectionBand | null;
  /** CONTRACT.md: each method's 95 % band as [low, high]; null while nothing can be said (a window of one epoch). */
  bands: { powerBasedJ: [number, number] | null; epochEnergyBasedJ: [number, number] | null } | null;
}

const band = (e: Estimate | null): ProjectionBand | null =>
  e === null || e.lowJ === null || e.highJ === null ? null : { lowJ: e.lowJ, highJ: e.highJ, remainingS: e.remainingS };
const pair = (e: Estimate | null): [number, number] | null => (e === null || e.lowJ === null || e.highJ === null ? null : [e.lowJ, e.highJ]);

/** Builds the run JSON's `projection`; null when neither estimator had a projection. */
export function projectionJson(
  power: Estimate | null,
  epochEnergyEstimate: Estimate | null,
  stableFromEpoch: number | null,
  windowEpochs: number,
): ProjectionJson | null {
  if (power === null && epochEnergyEstimate === null) return null;
  return {
    powerBasedJ: power?.projectedJ ?? null,
    epochEnergyBasedJ: epochEnergyEstimate?.projectedJ ?? null,
    windowEpochs,
    stableFromEpoch,
    provisional: (power?.provisional ?? false) || (epochEnergyEstimate?.provisional ?? false),
    powerBased: band(power),
    epochEnergyBased: band(epochEnergyEstimate),
    bands: pair(power) === null && pair(epochEnergyEstimate) === null ? null
      : { powerBasedJ: pair(power), epochEnergyBasedJ: pair(epochEnergyEstimate) },
  };
}
