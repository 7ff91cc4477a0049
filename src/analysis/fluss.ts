import { invalid } from '../errors.js';
/** Corrected arc curve and regime locations, as stumpy 1.12.0 `fluss` with the parabolic IAC 2(x+1)(k-1-x)/k. */
export interface FlussResult {
  cac: Float64Array;
  /** Regime locations in the order found (lowest CAC first), not sorted. */
  regimes: number[];
}

function checkCount(name: string, v: number, min: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw invalid(`fluss: ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
}

/** Arc counts: each row's arc to its nearest neighbour covers the half-open span [min, max); -1 is a self-arc. */
export function arcCurve(indices: ArrayLike<number>): Int32Array {
  const k = indices.length;
  const delta = new Int32Array(k + 1);
  if (indices instanceof Int32Array) {
    // A matrix profile's own indices: integers already, only the range is checked (a long live series, every epoch).
    for (let i = 0; i < k; i++) {
      const raw = indices[i]!;
      if (raw < -1 || raw >= k) throw invalid(`fluss: indices[${i}] = ${raw} is not -1 or an index below ${k}`);
      const j = raw < 0 ? i : raw;
      if (j < i) {
        delta[j]! += 1;
        delta[i]! -= 1;
      } else {
        delta[i]! += 1;
        delta[j]! -= 1;
      }
    }
  } else for (let i = 0; i < k; i++) {
    const raw = indices[i];
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < -1 || raw >= k) {
      throw invalid(`fluss: indices[${i}] = ${String(raw)} is not -1 or an index below ${k}`);
    }
    const j = raw < 0 ? i : raw;
    delta[Math.min(i, j)]! += 1;
    delta[Math.max(i, j)]! -= 1;
  }
  const ac = new Int32Array(k);
  let run = 0;
  for (let i = 0; i < k; i++) ac[i] = run += delta[i]!;
  return ac;
}

/** Fast Low-cost Unipotent Semantic Segmentation over matrix profile indices. */
export function fluss(indices: ArrayLike<number>, L: number, nRegimes: number, exclFactor = 5): FlussResult {
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') {
    throw invalid('fluss: indices must be an array of integers');
  }
  checkCount('L', L, 1);
  checkCount('nRegimes', nRegimes, 1);
  checkCount('exclFactor', exclFactor, 0);
  const k = indices.length;
  if (k === 0) throw invalid('fluss: indices is empty');
  const ac = arcCurve(indices);
  const cac = new Float64Array(k);
  for (let x = 0; x < k; x++) {
    const iac = (2 * (x + 1) * (k - 1 - x)) / k;
    const v = ac[x]! / (iac === 0 ? 1e-10 : iac);
    cac[x] = v > 1 ? 1 : v;
  }
  const edge = L * exclFactor;
  if (edge > 0) {
    cac.fill(1, 0, Math.min(edge, k));
    cac.fill(1, Math.max(k - edge, 0), k);
  }
  return { cac, regimes: extractRegimes(cac, nRegimes, edge) };
}

/** REA: repeated argmin (first minimum), blanking [loc - excl, loc + excl) after each find. */
function extractRegimes(cac: Float64Array, nRegimes: number, excl: number): number[] {
  const tmp = Float64Array.from(cac);
  const regimes: number[] = [];
  for (let r = 0; r < nRegimes - 1; r++) {
    let best = 0;
    for (let x = 1; x < tmp.length; x++) if (tmp[x]! < tmp[best]!) best = x;
    regimes.push(best);
    tmp.fill(1, Math.max(best - excl, 0), Math.min(best + excl, tmp.length));
  }
  return regimes;
}
