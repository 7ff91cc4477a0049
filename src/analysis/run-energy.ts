import type { Gap } from './energy.js';

export interface EnergyParts {
  cuts: number[];
  gpu: number[];
  ram: number[];
  /** Null when no CPU energy counter (RAPL) was readable over the span. */
  cpu: number[] | null;
  gaps: (Gap & { device: string })[];
  /** Fraction of the span covered by GPU samples (mean over devices; 1 when there are no GPUs). */
  gpuCoverage: number;
}

export interface EnergyOptions {
  gpuMaxGapMs: number;
  procMaxGapMs: number;
  ramWattsPerGB: number;
}

/** CPU joules per cut interval from cumulative counter readings; a drop means the counter restarted. */
export function cpuParts(readings: { t: number; j: number }[], cuts: number[]): number[] | null {
  if (readings.length < 2) return null;
  const t = new Float64Array(readings.length);
  const c = new Float64Array(readings.length);
  let offset = 0;
  readings.forEach((r, i) => {
    const prev = readings[i - 1];
    if (prev && r.j < prev.j) offset += prev.j;
    t[i] = r.t;
    c[i] = r.j + offset;
  });
  const at = (x: number): number => {
    if (x <= (t[0] as number)) return c[0] as number;
    const last = t.length - 1;
    if (x >= (t[last] as number)) return c[last] as number;
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((t[mid] as number) <= x) lo = mid;
      else hi = mid;
    }
    const f = (x - (t[lo] as number)) / ((t[hi] as number) - (t[lo] as number));
    return (c[lo] as number) + f * ((c[hi] as number) - (c[lo] as number));
  };
  return cuts.slice(1).map((b, i) => at(b) - at(cuts[i] as number));
}

/** Sums parts whose interval lies inside [a, b]. */
export function sumWithin(p: EnergyParts, a: number, b: number): { gpuJ: number; ramJ: number; cpuJ: number | null } {
  let gpuJ = 0;
  let ramJ = 0;
  let cpuJ: number | null = p.cpu ? 0 : null;
  for (let i = 0; i + 1 < p.cuts.length; i++) {
    if ((p.cuts[i] as number) >= a && (p.cuts[i + 1] as number) <= b) {
      gpuJ += p.gpu[i] as number;
      ramJ += p.ram[i] as number;
      if (cpuJ !== null) cpuJ += p.cpu?.[i] as number;
    }
  }
  return { gpuJ, ramJ, cpuJ };
}
