import type { CounterRead, GpuEnergyReader } from '../store/gpu-energy.js';

/** GPU energy per cut interval from the NVML counters, or why it cannot be (then the power integral is used). */
export interface CounterParts {
  /** Joules per cut interval, summed over the devices; null unless every device has a usable counter. */
  gpu: number[] | null;
  /** Why `gpu` is null, said once (the first device that lacks a usable counter); null when there are no devices. */
  note: string | null;
}

export interface CounterOptions {
  /** A running run: the last cut (now) may lie this far past the latest read, extrapolated at the latest rate. */
  extrapolateMs: number;
}

const iso = (t: number): string => new Date(t).toISOString();

/** The counter (mJ) at t by linear interpolation between the reads around it, or the reason it cannot be known. */
function valueAt(reader: GpuEnergyReader, dev: number, t: number, o: CounterOptions): number | string {
  const a = reader.atOrBefore(dev, t);
  if (!a) return `no NVML energy counter reading at or before ${iso(t)}`;
  const b = reader.atOrAfter(dev, t);
  if (b) return b.t === a.t ? a.mj : a.mj + ((b.mj - a.mj) * (t - a.t)) / (b.t - a.t);
  if (t - a.t > o.extrapolateMs) return `no NVML energy counter reading at or after ${iso(t)}`;
  const p: CounterRead | null = a.t > 0 ? reader.atOrBefore(dev, a.t - 1) : null;
  return p && a.mj >= p.mj ? a.mj + ((a.mj - p.mj) * (t - a.t)) / (a.t - p.t) : a.mj;
}

/**
 * Energy of the devices between consecutive cuts from their NVML total-energy counters, interpolated at every cut.
 * All or nothing: one device without reads around the span, or whose counter went backwards (driver reload) inside
 * it, makes the whole span fall back to the integral, so GPU figures never mix methods.
 */
export function counterParts(reader: GpuEnergyReader, devices: readonly { id: number; uuid: string }[], cuts: readonly number[],
  o: CounterOptions): CounterParts {
  if (devices.length === 0 || cuts.length < 2) return { gpu: null, note: null };
  const gpu = new Array<number>(cuts.length - 1).fill(0);
  const first = cuts[0] as number;
  const last = cuts[cuts.length - 1] as number;
  for (const d of devices) {
    if (reader.atOrBefore(d.id, last) === null && reader.atOrAfter(d.id, first) === null) {
      return { gpu: null, note: `${d.uuid} has no NVML energy counter readings (no NVML library, or no counter on this GPU: see the daemon log); GPU energy is the power integral` };
    }
    const values: number[] = [];
    for (const c of cuts) {
      const v = valueAt(reader, d.id, c, o);
      if (typeof v === 'string') return { gpu: null, note: `${d.uuid}: ${v}; GPU energy is the power integral` };
      values.push(v);
    }
    const from = reader.atOrBefore(d.id, first)?.t ?? first;
    const to = reader.atOrAfter(d.id, last)?.t ?? last;
    const reset = reader.firstReset(d.id, from, to);
    if (reset !== null) {
      return { gpu: null, note: `${d.uuid}: the NVML energy counter went backwards at ${iso(reset)} (driver reloaded?); GPU energy is the power integral` };
    }
    for (let i = 0; i < gpu.length; i++) gpu[i] = (gpu[i] as number) + ((values[i + 1] as number) - (values[i] as number)) / 1000;
  }
  return { gpu, note: null };
}
