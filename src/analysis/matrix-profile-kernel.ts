// Shared by the synchronous matrix profile and its worker threads: preprocessing, tie rule, merging, output.
// Arithmetic follows stumpy 1.12.0 `stump` (STOMPopt with Pearson correlations, running covariance per diagonal).

/** Everything the diagonal kernel needs, derived once from the series. */
export interface Prepared {
  m: number;
  /** Number of windows, n - m + 1. */
  l: number;
  /** Exclusion zone ceil(m / 4): diagonals g <= excl are trivial matches. */
  excl: number;
  /** The series with NaN/inf replaced by 0 (stumpy does the same before computing statistics). */
  t: Float64Array;
  /** Window means (length m). */
  mu: Float64Array;
  /** Inverse population std per window; NaN for non-finite or constant windows so the kernel skips them. */
  inv: Float64Array;
  /** t[k + m - 1] - mean of the (m-1)-window at k: stumpy's cov_a / cov_b. */
  ca: Float64Array;
  /** t[k - 1] - mean of the (m-1)-window at k: stumpy's cov_c / cov_d. */
  cc: Float64Array;
  finite: Uint8Array;
  constant: Uint8Array;
  hasConstant: boolean;
}

// numpy's pairwise summation (what np.mean uses), so window means round like stumpy's.
export function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[start + i]!;
    return s;
  }
  if (n <= 128) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let k = 0; k < 8; k++) r[k] = r[k]! + a[start + i + k]!;
    let s = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) s += a[start + i]!;
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

function windowMeans(t: Float64Array, w: number): Float64Array {
  const out = new Float64Array(t.length - w + 1);
  for (let k = 0; k < out.length; k++) out[k] = pairwiseSum(t, k, w) / w;
  return out;
}

/** Preprocesses a validated series (n >= 2m, m >= 3). */
export function prepare(series: Float64Array, m: number): Prepared {
  const n = series.length;
  const l = n - m + 1;
  const t = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const v = series[k]!;
    t[k] = Number.isFinite(v) ? v : 0;
  }
  const finite = new Uint8Array(l);
  const constant = new Uint8Array(l);
  let hasConstant = false;
  let lastBad = -1;
  for (let k = 0; k < n; k++) {
    if (!Number.isFinite(series[k]!)) lastBad = k;
    const start = k - m + 1;
    if (start < 0) continue;
    finite[start] = lastBad < start ? 1 : 0;
  }
  const mu = windowMeans(t, m);
  const muM1 = windowMeans(t, m - 1);
  const inv = new Float64Array(l);
  for (let k = 0; k < l; k++) {
    if (finite[k] === 0) {
      inv[k] = NaN;
      continue;
    }
    let lo = t[k]!;
    let hi = lo;
    let sum = 0;
    for (let q = k; q < k + m; q++) {
      const v = t[q]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      sum += v;
    }
    if (lo === hi) {
      constant[k] = 1;
      hasConstant = true;
      inv[k] = NaN;
      continue;
    }
    const mean = sum / m;
    let ssd = 0;
    for (let q = k; q < k + m; q++) ssd += (t[q]! - mean) * (t[q]! - mean);
    inv[k] = 1 / Math.sqrt(ssd / m);
  }
  const ca = new Float64Array(l);
  const cc = new Float64Array(l);
  for (let k = 0; k < l; k++) {
    ca[k] = t[k + m - 1]! - muM1[k]!;
    cc[k] = t[k === 0 ? n - 1 : k - 1]! - muM1[k]!;
  }
  return { m, l, excl: Math.ceil(m / 4), t, mu, inv, ca, cc, finite, constant, hasConstant };
}

/** Fresh per-row best correlations (-inf) and indices (-1). */
export function emptyProfile(l: number): { rho: Float64Array; idx: Int32Array } {
  return { rho: new Float64Array(l).fill(-Infinity), idx: new Int32Array(l).fill(-1) };
}

/** True when candidate `cand` (correlation r) beats the current best `best` (correlation cur) for row `row`. */
export function beats(row: number, r: number, cand: number, cur: number, best: number): boolean {
  if (r > cur) return true;
  if (!(r === cur) || best < 0) return false;
  const lc = Math.abs(cand - row);
  const lb = Math.abs(best - row);
  return lc < lb || (lc === lb && cand < best);
}

/** Merges a partial profile into `rho`/`idx` in place with the same tie rule as the kernel. */
export function mergeProfiles(rho: Float64Array, idx: Int32Array, rho2: Float64Array, idx2: Int32Array): void {
  for (let k = 0; k < rho.length; k++) {
    const cand = idx2[k]!;
    if (cand >= 0 && beats(k, rho2[k]!, cand, rho[k]!, idx[k]!)) {
      rho[k] = rho2[k]!;
      idx[k] = cand;
    }
  }
}

// Nearest index (smallest lag, left first) outside the exclusion zone of `row`, from prefix/suffix lookups.
function nearest(prev: Int32Array, next: Int32Array, row: number, excl: number): number {
  const lo = row - excl - 1;
  const hi = row + excl + 1;
  const left = lo >= 0 ? prev[lo]! : -1;
  const right = hi < next.length ? next[hi]! : -1;
  if (left < 0) return right;
  if (right < 0) return left;
  return row - left <= right - row ? left : right;
}

function lookups(l: number, keep: (k: number) => boolean): { prev: Int32Array; next: Int32Array } {
  const prev = new Int32Array(l);
  const next = new Int32Array(l);
  let last = -1;
  for (let k = 0; k < l; k++) prev[k] = last = keep(k) ? k : last;
  last = -1;
  for (let k = l - 1; k >= 0; k--) next[k] = last = keep(k) ? k : last;
  return { prev, next };
}

/**
 * Adds the candidates the kernel skipped: stumpy scores constant-vs-constant as correlation 1 and
 * constant-vs-other as 0.5, independent of the data, so the best one is simply the nearest eligible window.
 */
export function applyConstantWindows(p: Prepared, rho: Float64Array, idx: Int32Array): void {
  if (!p.hasConstant) return;
  const { l, excl, finite, constant } = p;
  const cons = lookups(l, (k) => constant[k] === 1);
  const others = lookups(l, (k) => finite[k] === 1 && constant[k] === 0);
  for (let r = 0; r < l; r++) {
    if (finite[r] === 0) continue;
    const c = nearest(cons.prev, cons.next, r, excl);
    if (constant[r] === 1) {
      const o = c >= 0 ? c : nearest(others.prev, others.next, r, excl);
      if (o >= 0) {
        rho[r] = c >= 0 ? 1 : 0.5;
        idx[r] = o;
      }
    } else if (c >= 0 && beats(r, 0.5, c, rho[r]!, idx[r]!)) {
      rho[r] = 0.5;
      idx[r] = c;
    }
  }
}

/** Correlations to distances exactly as stumpy: sqrt(|2m(1 - rho)|), with values under 1e-14 set to 0. */
export function toDistances(m: number, rho: Float64Array): Float64Array {
  const out = new Float64Array(rho.length);
  for (let k = 0; k < rho.length; k++) {
    const pn = Math.abs(2 * m * (1 - rho[k]!));
    out[k] = pn < 1e-14 ? 0 : Math.sqrt(pn);
  }
  return out;
}

/** Splits diagonals [excl + 1, l) into `parts` contiguous ranges holding about equal numbers of cells. */
export function splitDiagonals(l: number, excl: number, parts: number): Array<[number, number]> {
  const first = excl + 1;
  let total = 0;
  for (let g = first; g < l; g++) total += l - g;
  const ranges: Array<[number, number]> = [];
  let start = first;
  let acc = 0;
  for (let g = first; g < l && ranges.length < parts - 1; g++) {
    acc += l - g;
    if (acc >= (total * (ranges.length + 1)) / parts) {
      ranges.push([start, g + 1]);
      start = g + 1;
    }
  }
  ranges.push([start, Math.max(start, l)]);
  return ranges.filter(([a, b]) => b > a);
}
