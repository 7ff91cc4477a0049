import { prepare, sum, type Estimate, type Estimator, type EstimatorInput } from './types.js';

/**
 * Online power-based estimate E = P̄_w × t: P̄_w = Σ energy / Σ duration over the window, t = elapsed + remaining
 * epochs × the window's mean epoch duration. Band: the same with the window's lowest / highest epoch power and
 * duration.
 */
export const powerBased: Estimator = {
  name: 'power-based',
  estimate(input: EstimatorInput): Estimate | null {
    const p = prepare(input);
    if (p === null) return null;
    const durations = p.window.map((e) => e.durationS);
    const powers = p.window.map((e) => e.energyJ / e.durationS);
    const meanPower = sum(p.window.map((e) => e.energyJ)) / sum(durations);
    const meanDuration = sum(durations) / durations.length;
    const project = (power: number, duration: number): number => power * (p.elapsedS + p.remaining * duration);
    return {
      method: 'power-based',
      projectedJ: project(meanPower, meanDuration),
      lowJ: project(Math.min(...powers), Math.min(...durations)),
      highJ: project(Math.max(...powers), Math.max(...durations)),
      remainingS: p.remaining * meanDuration,
      provisional: p.provisional,
      window: p.window.map((e) => e.epoch),
    };
  },
};
