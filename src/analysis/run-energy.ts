import type { SampleStore } from '../store/samples.js';
import { Integrator, type Gap } from './energy.js';

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
function cpuParts(readings: { t: number; j: number }[], cuts: number[]): number[] | null {
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

/**
 * Energy of a run's devices and process tree between consecutive cut times, from the stored raw samples. Parts sum
 * exactly to the whole span, so per-epoch figures and the run total always agree.
 */
export function energyParts(
  samples: SampleStore,
  run: { rid: number },
  devices: { id: number; uuid: string }[],
  cuts: number[],
  opts: EnergyOptions,
): EnergyParts {
  const n = Math.max(cuts.length - 1, 0);
  const from = cuts[0] ?? 0;
  const to = cuts[n] ?? 0;
  const gpu = new Array<number>(n).fill(0);
  const gaps: EnergyParts['gaps'] = [];
  let covered = 0;
  for (const d of devices) {
    const it = new Integrator(cuts, opts.gpuMaxGapMs);
    samples.eachGpuPower(d.id, from, to, (t, w) => it.push(t, w));
    const r = it.finish();
    r.parts.forEach((v, i) => (gpu[i] = (gpu[i] as number) + v));
    covered += r.coveredMs.reduce((a, b) => a + b, 0);
    for (const g of r.gaps) gaps.push({ ...g, device: d.uuid });
  }
  const ramIt = new Integrator(cuts, opts.procMaxGapMs);
  samples.eachRamPower(run.rid, from, to, opts.ramWattsPerGB, (t, w) => ramIt.push(t, w));
  const ram = ramIt.finish().parts;
  const cpu = cpuParts(samples.cpuEnergy(from - opts.procMaxGapMs, to + opts.procMaxGapMs), cuts);
  const span = to - from;
  const gpuCoverage = devices.length === 0 || span <= 0 ? 1 : covered / (span * devices.length);
  return { cuts, gpu, ram, cpu, gaps, gpuCoverage };
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
