// Streaming matrix profile (stumpy `stumpi`, egress=False): each new window adds the last cell of every diagonal,
// computed with the batch scan's own running-covariance step, so the profile equals `matrixProfile` bit for bit.
import { applyConstantWindows, beats, pairwiseSum, toDistances, type Prepared } from './matrix-profile-kernel.js';
import { startCov } from './matrix-profile-scan.js';
import { checkWindow, toSeries, type MatrixProfile } from './matrix-profile.js';
import { invalid } from '../errors.js';

const INITIAL_CAPACITY = 1024;

/** Same clip and tie rule as the batch scan's offer; the rule is order-independent, so cell order does not matter. */
function offer(rho: Float64Array, idx: Int32Array, row: number, r: number, cand: number): void {
  const v = r > 1 ? 1 : r;
  const cur = rho[row]!;
  if (v > cur || (v === cur && beats(row, v, cand, cur, idx[row]!))) {
    rho[row] = v;
    idx[row] = cand;
  }
}

/** A copy of `a` with room for `cap` entries (longer: zero-filled; shorter: cut). */
function resize(a: Float64Array, cap: number): Float64Array;
function resize(a: Int32Array, cap: number): Int32Array;
function resize(a: Uint8Array, cap: number): Uint8Array;
function resize(a: Float64Array | Int32Array | Uint8Array, cap: number): Float64Array | Int32Array | Uint8Array {
  const out = a instanceof Float64Array ? new Float64Array(cap) : a instanceof Int32Array ? new Int32Array(cap) : new Uint8Array(cap);
  out.set(a.subarray(0, Math.min(a.length, cap)));
  return out;
}

/**
 * Matrix profile of a growing series (self-join, window m, exclusion zone ceil(m/4)). After any sequence of
 * `push`/`pushAll`, `profile()` equals `matrixProfile(values so far, m)` exactly. O(windows) time per value.
 */
export class IncrementalMatrixProfile {
  readonly m: number;
  private p: Prepared;
  private rho: Float64Array;
  private idx: Int32Array;
  /** Covariance of the last cell of each diagonal g (index g), where the next window continues it. */
  private covLast: Float64Array;
  private n = 0;
  private lastBad = -1;
  private cap: number;

  constructor(m: number) {
    checkWindow(Number.MAX_SAFE_INTEGER, m);
    this.m = m;
    const cap = INITIAL_CAPACITY;
    this.cap = cap;
    const f = (): Float64Array => new Float64Array(cap);
    this.p = { m, l: 0, excl: Math.ceil(m / 4), t: f(), mu: f(), inv: f(), ca: f(), cc: f(),
      finite: new Uint8Array(cap), constant: new Uint8Array(cap), hasConstant: false };
    this.rho = f();
    this.idx = new Int32Array(cap);
    this.covLast = f();
  }

  /** Values pushed so far. */
  get length(): number {
    return this.n;
  }

  /** Windows so far, max(0, length - m + 1). */
  get windows(): number {
    return this.p.l;
  }

  /** Appends one value; null (or NaN/±Infinity) is a missing sample, as in the batch. */
  push(v: number | null): void {
    const x = v as unknown;
    if (typeof x !== 'number' && x !== null && x !== undefined) {
      throw invalid(`matrix profile: value is ${typeof x}, expected a number`);
    }
    const j0 = this.p.l;
    this.append(typeof x === 'number' ? x : NaN);
    if (this.p.l > j0) this.update(j0, this.p.l - 1);
  }

  /** Appends many values (validated first, all or nothing); the new windows' cells are scanned diagonal by diagonal. */
  pushAll(values: ArrayLike<number>): void {
    const s = toSeries(values);
    const j0 = this.p.l;
    for (let k = 0; k < s.length; k++) this.append(s[k]!);
    if (this.p.l > j0) this.update(j0, this.p.l - 1);
  }

  /** Equal to `matrixProfile(values so far, m)`; needs length >= 2m (PROF_ERR_INVALID before). */
  profile(): MatrixProfile {
    checkWindow(this.n, this.m);
    const l = this.p.l;
    const rho = this.rho.slice(0, l);
    const idx = this.idx.slice(0, l);
    // The kernel never scores constant windows; stumpy's fixed scores are added to a copy, as the batch does.
    applyConstantWindows(this.p, rho, idx);
    return { distances: toDistances(this.m, rho), indices: idx };
  }

  /** An independent copy of the current state (trimmed to size): its profile stays that of this prefix. */
  snapshot(): IncrementalMatrixProfile {
    const s = new IncrementalMatrixProfile(this.m);
    const cap = Math.max(1, this.n);
    const p = this.p;
    s.p = { m: p.m, l: p.l, excl: p.excl, t: resize(p.t, cap), mu: resize(p.mu, cap), inv: resize(p.inv, cap),
      ca: resize(p.ca, cap), cc: resize(p.cc, cap), finite: resize(p.finite, cap), constant: resize(p.constant, cap),
      hasConstant: p.hasConstant };
    s.rho = resize(this.rho, cap);
    s.idx = resize(this.idx, cap);
    s.covLast = resize(this.covLast, cap);
    s.n = this.n;
    s.lastBad = this.lastBad;
    s.cap = cap;
    return s;
  }

  /** Bytes held by the state's arrays (allocated capacity, which grows by doubling). */
  memoryBytes(): number {
    const p = this.p;
    return [p.t, p.mu, p.inv, p.ca, p.cc, p.finite, p.constant, this.rho, this.idx, this.covLast]
      .reduce((sum, a) => sum + a.byteLength, 0);
  }

  private grow(): void {
    const cap = this.cap * 2;
    const p = this.p;
    p.t = resize(p.t, cap);
    p.mu = resize(p.mu, cap);
    p.inv = resize(p.inv, cap);
    p.ca = resize(p.ca, cap);
    p.cc = resize(p.cc, cap);
    p.finite = resize(p.finite, cap);
    p.constant = resize(p.constant, cap);
    this.rho = resize(this.rho, cap);
    this.idx = resize(this.idx, cap);
    this.covLast = resize(this.covLast, cap);
    this.cap = cap;
  }

  /** Stores one value and, once m values are there, the statistics of the window it completes (as `prepare`). */
  private append(v: number): void {
    if (this.n === this.cap) this.grow();
    const k = this.n++;
    const p = this.p;
    const { m, t } = p;
    if (Number.isFinite(v)) t[k] = v;
    else {
      t[k] = 0;
      this.lastBad = k;
    }
    const j = k - m + 1;
    if (j < 0) return;
    p.l = j + 1;
    p.mu[j] = pairwiseSum(t, j, m) / m;
    const muM1 = pairwiseSum(t, j, m - 1) / (m - 1);
    p.ca[j] = t[j + m - 1]! - muM1;
    // The batch's cc[0] wraps to the series' last value but is never read; NaN would make any such read show.
    p.cc[j] = j === 0 ? NaN : t[j - 1]! - muM1;
    this.rho[j] = -Infinity;
    this.idx[j] = -1;
    p.finite[j] = this.lastBad < j ? 1 : 0;
    p.constant[j] = 0;
    p.inv[j] = NaN;
    if (p.finite[j] === 0) return;
    let lo = t[j]!;
    let hi = lo;
    let sum = 0;
    for (let q = j; q < j + m; q++) {
      const x = t[q]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      sum += x;
    }
    if (lo === hi) {
      p.constant[j] = 1;
      p.hasConstant = true;
      return;
    }
    const mean = sum / m;
    let ssd = 0;
    for (let q = j; q < j + m; q++) ssd += (t[q]! - mean) * (t[q]! - mean);
    p.inv[j] = 1 / Math.sqrt(ssd / m);
  }

  /**
   * Cells of new windows j0..j1: on diagonal g they continue its running covariance from covLast[g] (the step of
   * the batch's walk, same operations in the same order); a diagonal starting here (row 0) starts as the batch's.
   */
  private update(j0: number, j1: number): void {
    const p = this.p;
    const { m, excl, ca, cc, inv } = p;
    const { rho, idx, covLast } = this;
    const c = (m - 1) * (1 / m) * (1 / m);
    for (let g = excl + 1; g <= j1; g++) {
      let j = j0 > g ? j0 : g;
      let cov = j === g ? startCov(p, g) : covLast[g]!;
      for (; j <= j1; j++) {
        const i = j - g;
        if (i > 0) cov += c * (ca[j]! * ca[i]! - cc[j]! * cc[i]!);
        const r = cov * inv[j]! * inv[i]!;
        // `>=` is false for NaN: windows holding a missing sample or a constant stretch never win here.
        if (r >= rho[i]!) offer(rho, idx, i, r, j);
        if (r >= rho[j]!) offer(rho, idx, j, r, i);
      }
      covLast[g] = cov;
    }
  }
}
