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
 * maxGapMs, or with a missing value, are not bridged: nothing is invented.
 */
export function integrate(series: PowerSeries, cuts: readonly number[], maxGapMs: number): Integration {
  const nParts = Math.max(cuts.length - 1, 0);
  const parts = new Array<number>(nParts).fill(0);
  const coveredMs = new Array<number>(nParts).fill(0);
  const gaps: Gap[] = [];
  if (nParts === 0) return { parts, coveredMs, gaps };
  const lo = cuts[0] as number;
  const hi = cuts[nParts] as number;
  const { t, w } = series;
  let gapStart: number | null = null;
  const closeGap = (end: number): void => {
    if (gapStart !== null && end > gapStart) gaps.push({ from: gapStart, to: end });
    gapStart = null;
  };
  // A gap runs from the run start until the first usable pair.
  if (t.length === 0 || (t[0] as number) > lo) gapStart = lo;
  for (let i = 0; i + 1 < t.length; i++) {
    const t0 = t[i] as number;
    const t1 = t[i + 1] as number;
    if (t1 <= lo || t0 >= hi || t1 <= t0) continue;
    const w0 = w[i] as number;
    const w1 = w[i + 1] as number;
    if (t1 - t0 > maxGapMs || Number.isNaN(w0) || Number.isNaN(w1)) {
      if (gapStart === null) gapStart = Math.max(t0, lo);
      continue;
    }
    closeGap(Math.max(t0, lo));
    const a0 = Math.max(t0, lo);
    const b1 = Math.min(t1, hi);
    const slope = (w1 - w0) / (t1 - t0);
    let k = firstCutAfter(cuts, a0) - 1;
    let a = a0;
    while (a < b1 && k < nParts) {
      const b = Math.min(b1, cuts[k + 1] as number);
      const wa = w0 + slope * (a - t0);
      const wb = w0 + slope * (b - t0);
      parts[k] = (parts[k] as number) + ((b - a) * (wa + wb)) / 2000;
      coveredMs[k] = (coveredMs[k] as number) + (b - a);
      a = b;
      k++;
    }
  }
  const lastT = t.length > 0 ? (t[t.length - 1] as number) : lo;
  if (gapStart === null && lastT < hi) gapStart = Math.max(lastT, lo);
  closeGap(hi);
  return { parts, coveredMs, gaps };
}

/** Sum of several integrations over the same cuts (one per GPU). */
export function sumParts(list: readonly Integration[], nParts: number): number[] {
  const out = new Array<number>(nParts).fill(0);
  for (const r of list) r.parts.forEach((v, i) => (out[i] = (out[i] as number) + v));
  return out;
}

export const J_PER_KWH = 3_600_000;
