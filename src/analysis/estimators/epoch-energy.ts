import { prepare, sum, uncertaintyJ, type Estimate, type Estimator, type EstimatorInput } from './types.js';

/**
 * Online epoch-energy estimate E = E_w × s / w + E_u: E_w = energy of the window's w epochs, s = expected epochs
 * from the window start on, E_u = measured energy of the epochs before the window. Band: the lowest / highest
 * window epoch energy × s + E_u.
 */
export const epochEnergy: Estimator = {
  name: 'epoch-energy',
  estimate(input: EstimatorInput): Estimate | null {
    const p = prepare(input);
    if (p === null) return null;
    const energies = p.window.map((e) => e.energyJ);
    const stable = p.expected - p.window[0]!.epoch + 1;
    const unstableJ = sum(p.before.map((e) => e.energyJ));
    const meanDuration = sum(p.window.map((e) => e.durationS)) / p.window.length;
    const projectedJ = (sum(energies) * stable) / energies.length + unstableJ;
    const half = uncertaintyJ(energies, p.remaining);
    return {
      method: 'epoch-energy',
      projectedJ,
      lowJ: half === null ? null : projectedJ - half,
      highJ: half === null ? null : projectedJ + half,
      remainingS: p.remaining * meanDuration,
      provisional: p.provisional,
      window: p.window.map((e) => e.epoch),
    };
  },
};
