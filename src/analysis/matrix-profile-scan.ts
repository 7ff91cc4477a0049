// The O(n²) part: walks diagonals of the distance matrix with stumpy's running covariance update.
import { beats, type Prepared } from './matrix-profile-kernel.js';

/**
 * Offers candidate `cand` with correlation r to row `row`. The hot loop queues a candidate only when its
 * unclipped r reaches the row's best, so clipping at 1 (as stumpy does before comparing) happens here.
 */
export function offer(rho: Float64Array, idx: Int32Array, row: number, r: number, cand: number): void {
  const v = r > 1 ? 1 : r;
  const cur = rho[row]!;
  if (v > cur || (v === cur && beats(row, v, cand, cur, idx[row]!))) {
    rho[row] = v;
    idx[row] = cand;
  }
}

/** Applies queued (row, candidate, correlation) triples. */
function flush(q: Float64Array, n: number, rho: Float64Array, idx: Int32Array): void {
  for (let k = 0; k < n; k += 3) offer(rho, idx, q[k]!, q[k + 2]!, q[k + 1]!);
}

/** Covariance of windows 0 and g, computed directly as stumpy does at the start of each diagonal. */
export function startCov(p: Prepared, g: number): number {
  const { m, t, mu } = p;
  const mu0 = mu[0]!;
  const mug = mu[g]!;
  let cov = 0;
  for (let q = 0; q < m; q++) cov += (t[g + q]! - mug) * (t[q]! - mu0);
  return cov * (1 / m);
}

/** One whole diagonal g; `>=` is false for NaN, which is how skipped windows never win. */
function scanOne(
  ca: Float64Array, cc: Float64Array, inv: Float64Array, rho: Float64Array, idx: Int32Array,
  c: number, g: number, start: number,
): void {
  const end = rho.length - g;
  let cov = start;
  for (let i = 0; i < end; i++) {
    const j = i + g;
    if (i > 0) cov += c * (ca[j]! * ca[i]! - cc[j]! * cc[i]!);
    const r = cov * inv[j]! * inv[i]!;
    if (r >= rho[i]!) offer(rho, idx, i, r, j);
    if (r >= rho[j]!) offer(rho, idx, j, r, i);
  }
}

/**
 * Diagonals g and g + 1 in one pass, skewed by a row so both share column j = i + g: cell (i, j) of diagonal
 * g and cell (i - 1, j) of diagonal g + 1. Both end on the same iteration, so nothing runs after the loop
 * (V8 may OSR-compile the loop before such code ever ran, then deoptimize there on every call).
 * Candidates reaching a row's best are queued, not applied: the tie rule is order-independent and the hot
 * loop stays free of calls. Each diagonal's arithmetic is exactly that of `scanOne`. Returns the queue length.
 */
function scanTwo(
  ca: Float64Array, cc: Float64Array, inv: Float64Array, rho: Float64Array, idx: Int32Array,
  c: number, g: number, start0: number, start1: number, q: Float64Array,
): number {
  const end = rho.length - g;
  let cov0 = start0;
  const cov1Start = start1;
  let r = cov0 * inv[g]! * inv[0]!;
  offer(rho, idx, 0, r, g);
  offer(rho, idx, g, r, 0);
  cov0 += c * (ca[g + 1]! * ca[1]! - cc[g + 1]! * cc[1]!);
  r = cov0 * inv[g + 1]! * inv[1]!;
  offer(rho, idx, 1, r, g + 1);
  offer(rho, idx, g + 1, r, 1);
  r = cov1Start * inv[g + 1]! * inv[0]!;
  offer(rho, idx, 0, r, g + 1);
  offer(rho, idx, g + 1, r, 0);
  let cov1 = cov1Start;
  let ap = ca[1]!;
  let cp = cc[1]!;
  let vp = inv[1]!;
  let n = 0;
  for (let i = 2; i < end; i++) {
    const j = i + g;
    const ai = ca[i]!;
    const ci = cc[i]!;
    const vi = inv[i]!;
    const aj = ca[j]!;
    const cj = cc[j]!;
    const vj = inv[j]!;
    cov0 += c * (aj * ai - cj * ci);
    cov1 += c * (aj * ap - cj * cp);
    const r0 = cov0 * vj * vi;
    const r1 = cov1 * vj * vp;
    if (r0 >= rho[i]!) {
      q[n] = i; q[n + 1] = j; q[n + 2] = r0; n += 3;
    }
    if (r1 >= rho[i - 1]!) {
      q[n] = i - 1; q[n + 1] = j; q[n + 2] = r1; n += 3;
    }
    const rj = rho[j]!;
    if (r0 >= rj) {
      q[n] = j; q[n + 1] = i; q[n + 2] = r0; n += 3;
    }
    if (r1 >= rj) {
      q[n] = j; q[n + 1] = i - 1; q[n + 2] = r1; n += 3;
    }
    ap = ai;
    cp = ci;
    vp = vi;
  }
  return n;
}

let queue = new Float64Array(0);

/**
 * Scans diagonals g in [gStart, gStop) and keeps, per row, the best candidate by (larger correlation, then
 * smaller lag, then the left neighbour): an order-independent rule, so any split of the diagonals gives
 * identical results; it is also the order stumpy's strict `>` updates settle on.
 */
export function scanDiagonals(p: Prepared, gStart: number, gStop: number, rho: Float64Array, idx: Int32Array): void {
  const { m, ca, cc, inv } = p;
  const c = (m - 1) * (1 / m) * (1 / m);
  // Room for every offer one pair of diagonals can make (four per iteration), reused across calls.
  if (queue.length < 12 * rho.length) queue = new Float64Array(12 * rho.length);
  const q = queue;
  let g = gStart;
  for (; g + 2 <= gStop; g += 2) {
    flush(q, scanTwo(ca, cc, inv, rho, idx, c, g, startCov(p, g), startCov(p, g + 1), q), rho, idx);
  }
  if (g < gStop) scanOne(ca, cc, inv, rho, idx, c, g, startCov(p, g));
}
