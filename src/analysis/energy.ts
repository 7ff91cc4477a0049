/** A power series: times in epoch ms, watts (NaN where the reading was missing). */
export interface PowerSeries {
  t: ArrayLike<number>;
  w: ArrayLike<number>;
}

export interface Gap {
  from: number;
  to: number;
}

export interface Integration {
  /** Joules in each interval [cuts[i], cuts[i+1]]. */
  parts: number[];
  /** Milliseconds of each interval that samples actually cover. */
  coveredMs: number[];
  /** Stretches inside [cuts[0], last cut] that were not bridged (sample spacing over maxGapMs or missing values). */
  gaps: Gap[];
}

function firstCutAfter(cuts: readonly number[], t: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cuts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Trapezoidal integral of power over time, split exactly at the cut times (power interpolated linearly at each
 * cut), so that the parts always sum to the integral over the whole span. Pairs of samples further apart than
 * maxGapMs, or with a missing value, are not bridged: nothing is invented. Samples are pushed one at a time in time
 * order, so a run of any length integrates in constant memory.
 */
export class Integrator {
  private readonly parts: number[];
  private readonly coveredMs: number[];
  private readonly gaps: Gap[] = [];
  private readonly lo: number;
  private readonly hi: number;
  private prevT = Number.NaN;
  private prevW = Number.NaN;
  private gapStart: number | null = null;
  private any = false;

  constructor(
    private readonly cuts: readonly number[],
    private readonly maxGapMs: number,
  ) {
    const n = Math.max(cuts.length - 1, 0);
    this.parts = new Array<number>(n).fill(0);
    this.coveredMs = new Array<number>(n).fill(0);
    this.lo = cuts[0] ?? 0;
    this.hi = cuts[n] ?? 0;
  }

  push(t1: number, w1: number): void {
    const t0 = this.prevT;
    const w0 = this.prevW;
    this.prevT = t1;
    this.prevW = w1;
    if (!this.any) {
      this.any = true;
      // A gap runs from the span's start until the first usable pair.
      if (t1 > this.lo) this.gapStart = this.lo;
      return;
    }
    const { lo, hi, cuts } = this;
    const nParts = this.parts.length;
    if (nParts === 0 || t1 <= lo || t0 >= hi || t1 <= t0) return;
    if (t1 - t0 > this.maxGapMs || Number.isNaN(w0) || Number.isNaN(w1)) {
      if (this.gapStart === null) this.gapStart = Math.max(t0, lo);
      return;
    }
    this.closeGap(Math.max(t0, lo));
    const a0 = Math.max(t0, lo);
    const b1 = Math.min(t1, hi);
    const slope = (w1 - w0) / (t1 - t0);
    let k = firstCutAfter(cuts, a0) - 1;
    let a = a0;
    while (a < b1 && k < nParts) {
      const b = Math.min(b1, cuts[k + 1] as number);
      const wa = w0 + slope * (a - t0);
      const wb = w0 + slope * (b - t0);
      this.parts[k] = (this.parts[k] as number) + ((b - a) * (wa + wb)) / 2000;
      this.coveredMs[k] = (this.coveredMs[k] as number) + (b - a);
      a = b;
      k++;
    }
  }

  private closeGap(end: number): void {
    if (this.gapStart !== null && end > this.gapStart) this.gaps.push({ from: this.gapStart, to: end });
    this.gapStart = null;
  }

  finish(): Integration {
    if (this.parts.length > 0) {
      if (!this.any) this.gapStart = this.lo;
      const lastT = this.any ? this.prevT : this.lo;
      if (this.gapStart === null && lastT < this.hi) this.gapStart = Math.max(lastT, this.lo);
      this.closeGap(this.hi);
    }
    return { parts: this.parts, coveredMs: this.coveredMs, gaps: this.gaps };
  }
}

/** Integrates a whole series at once (see Integrator). */
export function integrate(series: PowerSeries, cuts: readonly number[], maxGapMs: number): Integration {
  const it = new Integrator(cuts, maxGapMs);
  for (let i = 0; i < series.t.length; i++) it.push(series.t[i] as number, series.w[i] as number);
  return it.finish();
}

export const J_PER_KWH = 3_600_000;
