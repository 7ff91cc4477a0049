import { prepare, sum, uncertaintyJ, type Estimate, type Estimator, type EstimatorInput } from './types.js';

/**
 * Online power-based estimate. P̄_w = Σ energy / Σ duration over the window; t = max(elapsed, closed epochs' time +
 * remaining epochs × the window's mean epoch duration). The study's form (the product's): E = P̄_w × t. Variant:
 * E = E_u + P̄_w × (t - t_u), E_u / t_u = measured energy / time of the epochs before the window — the study form
 * charges the warm-up at stable power (+8 % on a 5-of-30-epoch warm-up at 75 % power, docs/stabilization.md), but
 * the variant equals the epoch-energy estimator at the window end, so it is kept for comparison only. Band: ± the
 * uncertainty of the epochs still to come, from the window's epoch-to-epoch variation of energy (types.ts).
 */
function makePowerBased(name: string, measuredWarmup: boolean): Estimator {
  return {
    name,
    estimate(input: EstimatorInput): Estimate | null {
      const p = prepare(input);
      if (p === null) return null;
      const durations = p.window.map((e) => e.durationS);
      const meanPower = sum(p.window.map((e) => e.energyJ)) / sum(durations);
      const meanDuration = sum(durations) / durations.length;
      const unstableJ = measuredWarmup ? sum(p.before.map((e) => e.energyJ)) : 0;
      const unstableS = measuredWarmup ? sum(p.before.map((e) => e.durationS)) : 0;
      const closedS = sum(p.epochs.map((e) => e.durationS));
      const project = (power: number, duration: number): number =>
        unstableJ + power * (Math.max(p.elapsedS, closedS + p.remaining * duration) - unstableS);
      const projectedJ = project(meanPower, meanDuration);
      const half = uncertaintyJ(p.window.map((e) => e.energyJ), p.remaining);
      return {
        method: name,
        projectedJ,
        lowJ: half === null ? null : projectedJ - half,
        highJ: half === null ? null : projectedJ + half,
        remainingS: p.remaining * meanDuration,
        provisional: p.provisional,
        window: p.window.map((e) => e.epoch),
      };
    },
  };
}

/** The study's E = P̄_w × t over the whole projected duration. */
export const powerBased: Estimator = makePowerBased('power-based', false);

/** E = E_u + P̄_w × (t - t_u): the warm-up epochs count with their measured energy (comparison only). */
export const powerBasedMeasuredWarmup: Estimator = makePowerBased('power-based-measured-warmup', true);
