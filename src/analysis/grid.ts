import { invalid } from '../errors.js';
/** A power series on a uniform time grid: slot k covers the time t0 + k × stepMs; NaN where nothing was measured. */
export interface Grid {
  t0: number;
  /** Spacing of the slots in ms (gridMs, or the series' own spacing when it is already regular or coarser). */
  stepMs: number;
  values: Float64Array;
  /** Long holes kept as MAX_HOLE NaN slots: from `slot` on, times are `ms` later (absent: none). */
  skips?: { slot: number; ms: number }[];
  /** Each slot's time when known exactly (a live grid: the sample's own time); overrides t0/stepMs/skips. */
  times?: Float64Array;
}

/**
 * NaN slots a hole keeps at most: one NaN already voids every window across it, so a longer hole only costs memory
 * proportional to wall time (a run started a year ago, a 3-row file spanning years) instead of to the samples.
 */
export const MAX_HOLE = 64;

/** How many of the first n values (ascending) are at or before x: the index of the first one after it. */
export function countAtOrBefore(a: ArrayLike<number>, x: number, n = a.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The time of slot k. */
export function slotTime(grid: Grid, k: number): number {
  if (grid.times !== undefined) return grid.times[k]!;
  let t = grid.t0 + k * grid.stepMs;
  for (const s of grid.skips ?? []) if (s.slot <= k) t += s.ms;
  return t;
}

function median(xs: Float64Array): number {
  const s = xs.sort(); // typed-array sort is numeric and far faster than a comparator sort on 86,400 gaps
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function check(t: ArrayLike<number>, w: ArrayLike<number>, gridMs: number): void {
  if (t === null || w === null || typeof t !== 'object' || typeof w !== 'object') {
    throw invalid('grid: t and w must be arrays of numbers');
  }
  if (t.length !== w.length) throw invalid(`grid: t has ${t.length} values but w has ${w.length}`);
  if (typeof gridMs !== 'number' || !Number.isFinite(gridMs) || gridMs <= 0) {
    throw invalid(`grid: gridMs must be a positive number, got ${String(gridMs)}`);
  }
  for (let i = 0; i < t.length; i++) {
    const ti = t[i];
    if (typeof ti !== 'number' || !Number.isFinite(ti)) throw invalid(`grid: t[${i}] is not a finite time`);
    if (i > 0 && ti < t[i - 1]!) throw invalid(`grid: times must be ascending (t[${i}] < t[${i - 1}])`);
  }
}

/** Reading i as a number, NaN when missing (null, undefined, non-finite). */
function reading(w: ArrayLike<number>, i: number): number {
  const v = w[i] as unknown;
  return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
}

/**
 * Puts a run's power on a uniform grid. A series whose median spacing is within ±10 % of gridMs (or coarser) is
 * used as it is, one slot per sample, with NaN slots only where a gap skips whole steps; a finer series is averaged
 * into gridMs buckets. Empty buckets stay NaN: nothing is invented.
 */
export function toGrid(t: ArrayLike<number>, w: ArrayLike<number>, gridMs: number): Grid {
  check(t, w, gridMs);
  const n = t.length;
  if (n === 0) return { t0: NaN, stepMs: gridMs, values: new Float64Array(0) };
  const t0 = t[0]!;
  if (n === 1) return { t0, stepMs: gridMs, values: Float64Array.of(reading(w, 0)) };
  const gaps = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) gaps[i - 1] = t[i]! - t[i - 1]!;
  const spacing = median(gaps);
  if (spacing >= 0.9 * gridMs) return sequential(t, w, spacing);
  return buckets(t, w, gridMs);
}

// One slot per sample; a gap of g × spacing leaves g - 1 NaN slots (at most MAX_HOLE); step = span / slots so both
// ends stay exact when no hole was cut short.
function sequential(t: ArrayLike<number>, w: ArrayLike<number>, spacing: number): Grid {
  const n = t.length;
  const slot = new Float64Array(n);
  const skips: { slot: number; ms: number }[] = [];
  for (let i = 1; i < n; i++) slot[i] = slot[i - 1]! + step(Math.max(1, Math.round((t[i]! - t[i - 1]!) / spacing)), slot[i - 1]!, spacing, skips);
  const last = slot[n - 1]!;
  const values = new Float64Array(last + 1).fill(NaN);
  for (let i = 0; i < n; i++) values[slot[i]!] = reading(w, i);
  const span = t[n - 1]! - t[0]!;
  if (skips.length > 0) return { t0: t[0]!, stepMs: spacing, values, skips };
  return { t0: t[0]!, stepMs: last > 0 && span > 0 ? span / last : spacing, values };
}

/** Slots to advance for a jump of `slots`, a long hole cut to MAX_HOLE NaN slots (the time cut noted in skips). */
function step(slots: number, from: number, stepMs: number, skips: { slot: number; ms: number }[]): number {
  if (slots - 1 <= MAX_HOLE) return slots;
  skips.push({ slot: from + MAX_HOLE + 1, ms: (slots - 1 - MAX_HOLE) * stepMs });
  return MAX_HOLE + 1;
}

function buckets(t: ArrayLike<number>, w: ArrayLike<number>, gridMs: number): Grid {
  const n = t.length;
  const t0 = t[0]!;
  const slot = new Float64Array(n);
  const skips: { slot: number; ms: number }[] = [];
  let prevBucket = 0;
  for (let i = 1; i < n; i++) {
    const b = Math.floor((t[i]! - t0) / gridMs);
    slot[i] = b === prevBucket ? slot[i - 1]! : slot[i - 1]! + step(b - prevBucket, slot[i - 1]!, gridMs, skips);
    prevBucket = b;
  }
  const size = slot[n - 1]! + 1;
  const sum = new Float64Array(size);
  const count = new Int32Array(size);
  for (let i = 0; i < n; i++) {
    const v = reading(w, i);
    if (Number.isNaN(v)) continue;
    const k = slot[i]!;
    sum[k]! += v;
    count[k]! += 1;
  }
  const values = new Float64Array(size);
  for (let k = 0; k < size; k++) values[k] = count[k]! > 0 ? sum[k]! / count[k]! : NaN;
  return skips.length > 0 ? { t0, stepMs: gridMs, values, skips } : { t0, stepMs: gridMs, values };
}

/** Averages blocks of `factor` slots (NaN only where a whole block is empty), to bound the analysed length. */
export function coarsen(grid: Grid, factor: number): Grid {
  if (!Number.isInteger(factor) || factor < 1) throw invalid(`grid: factor must be a positive integer, got ${factor}`);
  if (factor === 1) return grid;
  const size = Math.ceil(grid.values.length / factor);
  const values = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    let sum = 0;
    let count = 0;
    for (let j = k * factor; j < Math.min((k + 1) * factor, grid.values.length); j++) {
      const v = grid.values[j]!;
      if (!Number.isNaN(v)) {
        sum += v;
        count++;
      }
    }
    values[k] = count > 0 ? sum / count : NaN;
  }
  const skips = grid.skips?.map((x) => ({ slot: Math.floor(x.slot / factor), ms: x.ms }));
  return skips ? { t0: grid.t0, stepMs: grid.stepMs * factor, values, skips } : { t0: grid.t0, stepMs: grid.stepMs * factor, values };
}

/**
 * The `sequential` grid of toGrid built one sample at a time at a fixed spacing: a slot once written never changes,
 * so a streaming matrix profile can consume it. Same slots as toGrid gives on the same samples at that spacing
 * (one per sample, a gap of g spacings leaves g - 1 NaN slots, at most MAX_HOLE); each slot keeps its own time.
 */
export class AppendGrid {
  values: Float64Array = new Float64Array(1024);
  times: Float64Array = new Float64Array(1024);
  /** Slots so far. */
  n = 0;
  private readonly skips: { slot: number; ms: number }[] = [];
  private lastT = NaN;

  constructor(readonly spacingMs: number) {
    if (!Number.isFinite(spacingMs) || spacingMs <= 0) throw invalid(`grid: spacing must be a positive number, got ${String(spacingMs)}`);
  }

  /** Appends the sample (t, w): first the NaN slots of a gap before it, then its own. */
  push(t: number, w: number): void {
    if (!Number.isFinite(t) || t < this.lastT) throw invalid(`grid: time ${String(t)} is not finite and ascending`);
    const v = Number.isFinite(w) ? w : NaN;
    if (this.n === 0) {
      this.slot(t, v);
      this.lastT = t;
      return;
    }
    const prev = this.lastT;
    const slots = Math.max(1, Math.round((t - prev) / this.spacingMs));
    const advance = step(slots, this.n - 1, this.spacingMs, this.skips);
    for (let k = 1; k < advance; k++) this.slot(prev + k * this.spacingMs, NaN);
    this.slot(t, v);
    this.lastT = t;
  }

  /** The first `slots` slots as a Grid (views, no copy). */
  grid(slots = this.n): Grid {
    const skips = this.skips.filter((s) => s.slot < slots);
    const g: Grid = { t0: this.n > 0 ? this.times[0]! : NaN, stepMs: this.spacingMs, values: this.values.subarray(0, slots), times: this.times.subarray(0, slots) };
    return skips.length > 0 ? { ...g, skips } : g;
  }

  private slot(t: number, v: number): void {
    if (this.n === this.values.length) {
      const grow = (a: Float64Array): Float64Array => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.values = grow(this.values);
      this.times = grow(this.times);
    }
    this.times[this.n] = t;
    this.values[this.n++] = v;
  }
}
