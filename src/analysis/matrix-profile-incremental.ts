// Streaming matrix profile (stumpy `stumpi`, egress=False): each new window adds the last cell of every diagonal,
// computed with the batch scan's own running-covariance step, so the profile equals `matrixProfile` bit for bit.
import { applyConstantWindows, pairwiseSum, toDistances, type Prepared } from './matrix-profile-kernel.js';
// The batch scan's own offer (clip at 1, tie rule): the rule is order-independent, so cell order does not matter.
import { offer, startCov } from './matrix-profile-scan.js';
import { checkWindow, toSeries, type MatrixProfile } from './matrix-profile.js';
import { invalid } from '../errors.js';

const INITIAL_CAPACITY = 1024;

/**
 * Candidates that reach a row's best are queued as (row, candidate, r) and applied after a block of rows, which
 * keeps the hot loops free of calls (measured 2x faster); one queue serves every instance (single-threaded).
 */
const ROWS_PER_FLUSH = 4096;
const queue = new Float64Array(12 * ROWS_PER_FLUSH);

function flush(rho: Float64Array, idx: Int32Array, n: number): void {
  for (let t = 0; t < n; t += 3) offer(rho, idx, queue[t]!, queue[t + 2]!, queue[t + 1]!);
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
    if (this.p.l > j0) this.updateOne(j0);
  }

  /** Appends many values (validated first, all or nothing); new windows are scanned two at a time. */
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
    this.copyInto(s, Math.max(1, this.n));
    return s;
  }

  /** Bytes held by the state's arrays (allocated capacity, which grows by doubling). */
  memoryBytes(): number {
    const p = this.p;
    return [p.t, p.mu, p.inv, p.ca, p.cc, p.finite, p.constant, this.rho, this.idx, this.covLast]
      .reduce((sum, a) => sum + a.byteLength, 0);
  }

  /** Gives `to` this state in arrays with room for `cap` entries (growth: `to` is this; snapshots: a new one). */
  private copyInto(to: IncrementalMatrixProfile, cap: number): void {
    const p = this.p;
    to.p = { m: p.m, l: p.l, excl: p.excl, t: resize(p.t, cap), mu: resize(p.mu, cap), inv: resize(p.inv, cap),
      ca: resize(p.ca, cap), cc: resize(p.cc, cap), finite: resize(p.finite, cap), constant: resize(p.constant, cap),
      hasConstant: p.hasConstant };
    to.rho = resize(this.rho, cap);
    to.idx = resize(this.idx, cap);
    to.covLast = resize(this.covLast, cap);
    to.n = this.n;
    to.lastBad = this.lastBad;
    to.cap = cap;
  }

  /** Stores one value and, once m values are there, the statistics of the window it completes (as `prepare`). */
  private append(v: number): void {
    if (this.n === this.cap) this.copyInto(this, this.cap * 2);
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

  /** Windows j0..j1 in pairs sharing each row's loads, an odd last one alone. */
  private update(j0: number, j1: number): void {
    let j = j0;
    for (; j < j1; j += 2) this.updateTwo(j);
    if (j === j1) this.updateOne(j);
  }

  /** Row 0 of diagonal g = j: the diagonal starts, computed as the batch starts it. */
  private startDiagonal(j: number): void {
    const p = this.p;
    const cov = startCov(p, j);
    this.covLast[j] = cov;
    const r = cov * p.inv[j]! * p.inv[0]!;
    if (r >= this.rho[0]!) offer(this.rho, this.idx, 0, r, j);
    if (r >= this.rho[j]!) offer(this.rho, this.idx, j, r, 0);
  }

  /** Cells of one new window j: the last cell of each diagonal g (row i = j - g) and the new diagonal g = j. */
  private updateOne(j: number): void {
    const { m, excl, ca, cc, inv } = this.p;
    const { rho, idx, covLast } = this;
    const c = (m - 1) * (1 / m) * (1 / m);
    if (j > excl) this.startDiagonal(j);
    const aj = ca[j]!;
    const cj = cc[j]!;
    const vj = inv[j]!;
    // Row j's best so far, so only candidates that can still win it are queued.
    let rj = rho[j]!;
    const q = queue;
    for (let i0 = 1; i0 < j - excl; i0 += ROWS_PER_FLUSH) {
      const i1 = Math.min(j - excl, i0 + ROWS_PER_FLUSH);
      let n = 0;
      for (let i = i0; i < i1; i++) {
        const g = j - i;
        // The batch's step `cov += c * (ca[j] * ca[i] - cc[j] * cc[i])`, then r = cov * inv[j] * inv[i].
        const cov = covLast[g]! + c * (aj * ca[i]! - cj * cc[i]!);
        covLast[g] = cov;
        const r = cov * vj * inv[i]!;
        // `>=` is false for NaN: windows holding a missing sample or a constant stretch never win here.
        if (r >= rho[i]!) {
          q[n] = i; q[n + 1] = j; q[n + 2] = r; n += 3;
        }
        if (r >= rj) {
          q[n] = j; q[n + 1] = i; q[n + 2] = r; n += 3;
          rj = r > 1 ? 1 : r;
        }
      }
      flush(rho, idx, n);
    }
  }

  /**
   * New windows j and k = j + 1 in one pass over the rows. Row i meets j on diagonal g = j - i and k on g + 1;
   * rows ascend, so diagonal g gets j's cell (row i) before k's (row i + 1), the order of the batch's walk.
   */
  private updateTwo(j: number): void {
    const { m, excl, ca, cc, inv } = this.p;
    const { rho, idx, covLast } = this;
    const c = (m - 1) * (1 / m) * (1 / m);
    const k = j + 1;
    if (j > excl) this.startDiagonal(j);
    if (k > excl) this.startDiagonal(k);
    const aj = ca[j]!;
    const cj = cc[j]!;
    const vj = inv[j]!;
    const ak = ca[k]!;
    const ck = cc[k]!;
    const vk = inv[k]!;
    let rj = rho[j]!;
    let rk = rho[k]!;
    const q = queue;
    for (let i0 = 1; i0 < j - excl; i0 += ROWS_PER_FLUSH) {
      const i1 = Math.min(j - excl, i0 + ROWS_PER_FLUSH);
      let n = 0;
      for (let i = i0; i < i1; i++) {
        const g = j - i;
        const ai = ca[i]!;
        const ci = cc[i]!;
        const vi = inv[i]!;
        const covJ = covLast[g]! + c * (aj * ai - cj * ci);
        const covK = covLast[g + 1]! + c * (ak * ai - ck * ci);
        covLast[g] = covJ;
        covLast[g + 1] = covK;
        const r0 = covJ * vj * vi;
        const r1 = covK * vk * vi;
        const ri = rho[i]!;
        if (r0 >= ri) {
          q[n] = i; q[n + 1] = j; q[n + 2] = r0; n += 3;
        }
        if (r1 >= ri) {
          q[n] = i; q[n + 1] = k; q[n + 2] = r1; n += 3;
        }
        if (r0 >= rj) {
          q[n] = j; q[n + 1] = i; q[n + 2] = r0; n += 3;
          rj = r0 > 1 ? 1 : r0;
        }
        if (r1 >= rk) {
          q[n] = k; q[n + 1] = i; q[n + 2] = r1; n += 3;
          rk = r1 > 1 ? 1 : r1;
        }
      }
      flush(rho, idx, n);
    }
    // k's last row, i = j - excl, lies on diagonal excl + 1, inside j's exclusion zone.
    if (j > excl) {
      const i = j - excl;
      const g = excl + 1;
      const cov = covLast[g]! + c * (ak * ca[i]! - ck * cc[i]!);
      covLast[g] = cov;
      const r = cov * vk * inv[i]!;
      if (r >= rho[i]!) offer(rho, idx, i, r, k);
      if (r >= rho[k]!) offer(rho, idx, k, r, i);
    }
  }
}
