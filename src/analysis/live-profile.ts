// A live run's detector state: its power series as recorded, the append-stable grid and a streaming matrix profile
// over it, with the profile kept at each epoch end the detector looks back at (the confidence rule's "without the
// last epoch"). Lives in the analysis worker: each new sample costs O(samples so far), an update O(samples).
import { AppendGrid, countAtOrBefore } from './grid.js';
import { IncrementalMatrixProfile } from './matrix-profile-incremental.js';
import { matrixProfile } from './matrix-profile.js';
import type { PrefixProfile, ProfileSource } from './stabilization.js';
import { invalid } from '../errors.js';

/** Samples whose median spacing fixes the grid's (the sampler's real rate, not the one asked for). */
export const SPACING_SAMPLES = 64;
/** Profiles kept at epoch ends: the detector reads the last one and the one before. */
const KEPT = 3;

/** What one feed brings: new samples (ascending, after the previous ones) and what is known of the run's epochs. */
export interface Feed {
  t: Float64Array;
  w: Float64Array;
  /** Ends of the closed epochs, ascending. */
  epochEnds: number[];
  /** Every sample at or before this time is in this feed or an earlier one (none will come later). */
  settledThrough: number;
  /** The matrix profile is extended only by samples at or before this time (the detector's location horizon). */
  profileUntil: number;
}

class Growable {
  a = new Float64Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  view(): Float64Array {
    return this.a.subarray(0, this.n);
  }
}

export class LiveProfile {
  private readonly t = new Growable();
  private readonly w = new Growable();
  private grid: AppendGrid | null = null;
  private imp: IncrementalMatrixProfile | null = null;
  /** Samples on the grid and in the profile. */
  private onGrid = 0;
  /** Profile indices at a sample count (the profile of the first k samples), for the last KEPT epoch ends. */
  private readonly kept = new Map<number, { slots: number; indices: Int32Array; memo: Map<string, unknown> }>();
  private current: { samples: number; indices: Int32Array; memo: Map<string, unknown> } | null = null;
  private stopped = false;
  /** Profiles of a prefix that had to be computed in one go (an epoch end learnt after its samples were consumed). */
  batchProfiles = 0;

  constructor(readonly m: number) {
    if (!Number.isInteger(m) || m < 3) throw invalid(`live profile: m must be an integer >= 3, got ${String(m)}`);
  }

  get samples(): number {
    return this.t.n;
  }

  /** The grid's spacing in ms once fixed (after SPACING_SAMPLES samples), else null. */
  get spacingMs(): number | null {
    return this.grid?.spacingMs ?? null;
  }

  memoryBytes(): number {
    let b = this.t.a.byteLength + this.w.a.byteLength + (this.imp?.memoryBytes() ?? 0);
    if (this.grid) b += this.grid.values.byteLength + this.grid.times.byteLength;
    for (const k of this.kept.values()) b += k.indices.byteLength;
    return b;
  }

  append(f: Feed): void {
    const { t, w } = f;
    if (!(t instanceof Float64Array) || !(w instanceof Float64Array) || t.length !== w.length) {
      throw invalid('live profile: t and w must be Float64Arrays of the same length');
    }
    let last = this.t.n > 0 ? this.t.a[this.t.n - 1]! : -Infinity;
    for (let i = 0; i < t.length; i++) {
      if (!Number.isFinite(t[i]!) || t[i]! < last) throw invalid(`live profile: t[${i}] is not a finite time after the previous samples`);
      last = t[i]!;
    }
    for (let i = 0; i < t.length; i++) {
      this.t.push(t[i]!);
      this.w.push(w[i]!);
    }
    this.current = null;
    if (this.grid === null && this.t.n >= SPACING_SAMPLES) this.fixSpacing();
    this.extend(f.epochEnds, f.settledThrough, f.profileUntil);
  }

  /** The detector's view: the samples, and the grid and profile at any time it asks for. */
  source(): { t: Float64Array; powerW: Float64Array; profiles: ProfileSource } {
    return { t: this.t.view(), powerW: this.w.view(), profiles: { at: (until) => this.at(until) } };
  }

  /** Median gap of the first samples: the grid's spacing from then on (a slot once written never moves). */
  private fixSpacing(): void {
    const gaps = new Float64Array(SPACING_SAMPLES - 1);
    for (let i = 1; i < SPACING_SAMPLES; i++) gaps[i - 1] = this.t.a[i]! - this.t.a[i - 1]!;
    gaps.sort();
    const mid = gaps.length >> 1;
    const spacing = gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
    // All samples at one instant: no spacing to keep; the detector reads such a series in one go.
    if (!(spacing > 0)) return;
    this.grid = new AppendGrid(spacing);
    this.imp = new IncrementalMatrixProfile(this.m);
  }

  /** Moves samples onto the grid and into the profile, keeping the profile at each known epoch end it passes. */
  private extend(ends: readonly number[], settledThrough: number, until: number): void {
    const grid = this.grid;
    const imp = this.imp;
    if (grid === null || imp === null || this.stopped) return;
    let e = 0;
    const keepAt = (k: number): void => {
      const time = k > 0 ? this.t.a[k - 1]! : -Infinity;
      // Every epoch end in [time of sample k-1, time of sample k) shares this prefix.
      while (e < ends.length && ends[e]! < time) e++;
      if (e >= ends.length || ends[e]! > until || this.kept.has(k) || k < 2 * this.m) return;
      // The prefix is that of the end when no sample after it is (or will be) before it.
      const before = k < this.t.n ? ends[e]! < this.t.a[k]! : ends[e]! <= settledThrough;
      if (before) this.keep(k);
    };
    let k = this.onGrid;
    for (; k < this.t.n; k++) {
      const tk = this.t.a[k]!;
      if (tk > until) {
        this.stopped = true;
        break;
      }
      keepAt(k);
      grid.push(tk, this.w.a[k]!);
    }
    this.onGrid = k;
    if (grid.n > imp.length) imp.pushAll(grid.values.subarray(imp.length, grid.n));
    // An epoch end after the last sample but already settled: the profile now is the one of that prefix.
    if (!this.stopped) keepAt(this.onGrid);
  }

  private keep(k: number): void {
    const grid = this.grid as AppendGrid;
    const imp = this.imp as IncrementalMatrixProfile;
    // The samples up to k are all on the grid (k is where the walk stands), so the profile is that of their slots.
    if (imp.length < grid.n) imp.pushAll(grid.values.subarray(imp.length, grid.n));
    this.kept.set(k, { slots: grid.n, indices: imp.profile().indices, memo: new Map() });
    while (this.kept.size > KEPT) this.kept.delete(Math.min(...this.kept.keys()));
  }

  /** Grid and profile of the samples at or before `until`; null before the spacing is known (the caller batches). */
  private at(until: number): PrefixProfile | null {
    const grid = this.grid;
    const imp = this.imp;
    if (grid === null || imp === null) return null;
    const k = countAtOrBefore(this.t.a, until, this.t.n);
    const kept = this.kept.get(k);
    if (kept) return { grid: grid.grid(kept.slots), indices: () => kept.indices, memo: kept.memo };
    if (k === this.onGrid) {
      if (this.current?.samples !== k) this.current = { samples: k, indices: new Int32Array(0), memo: new Map() };
      const cur = this.current;
      return {
        grid: grid.grid(grid.n),
        indices: () => (cur.indices.length > 0 ? cur.indices : (cur.indices = imp.profile().indices)),
        memo: cur.memo,
      };
    }
    // A prefix the stream has passed without keeping it: its own grid, profiled in one go (counted).
    const own = new AppendGrid(grid.spacingMs);
    for (let i = 0; i < k; i++) own.push(this.t.a[i]!, this.w.a[i]!);
    return {
      grid: own.grid(),
      indices: () => {
        this.batchProfiles++;
        return matrixProfile(own.values.subarray(0, own.n), this.m).indices;
      },
    };
  }
}
