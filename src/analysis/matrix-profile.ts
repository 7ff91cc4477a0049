import { availableParallelism } from 'node:os';
import {
  applyConstantWindows,
  emptyProfile,
  mergeProfiles,
  prepare,
  splitDiagonals,
  toDistances,
} from './matrix-profile-kernel.js';
import { scanOnWorkers } from './matrix-profile-pool.js';
import { scanDiagonals } from './matrix-profile-scan.js';
import { invalid } from '../errors.js';

export { closeMatrixProfileWorkers } from './matrix-profile-pool.js';

/** stumpy `stump` columns 0 and 1: z-normalized distance to the nearest neighbour and its index (-1: none). */
export interface MatrixProfile {
  distances: Float64Array;
  indices: Int32Array;
}

export interface MatrixProfileOptions {
  /** Worker threads to split the diagonals across; default os.availableParallelism(). */
  threads?: number;
}

const CHUNKS_PER_THREAD = 8;

/** Copies the series into a Float64Array; null/undefined are missing samples (NaN), anything else non-numeric is rejected. */
export function toSeries(series: ArrayLike<number>): Float64Array {
  if (series === null || typeof series !== 'object' || typeof series.length !== 'number') {
    throw invalid('matrix profile: series must be an array of numbers');
  }
  const out = new Float64Array(series.length);
  for (let k = 0; k < series.length; k++) {
    const v = series[k] as unknown;
    if (typeof v === 'number') out[k] = v;
    else if (v === null || v === undefined) out[k] = NaN;
    else throw invalid(`matrix profile: series[${k}] is ${typeof v}, expected a number`);
  }
  return out;
}

/** Window length must be an integer from 3 to n/2, so every window has neighbours outside its exclusion zone. */
export function checkWindow(n: number, m: number): void {
  if (typeof m !== 'number' || !Number.isInteger(m)) {
    throw invalid(`matrix profile: window m must be an integer, got ${String(m)}`);
  }
  if (m < 3) throw invalid(`matrix profile: window m must be at least 3, got ${m}`);
  if (m > Math.floor(n / 2)) {
    throw invalid(`matrix profile: window m = ${m} is too long for ${n} samples (at most ${Math.floor(n / 2)})`);
  }
}

/** Exact matrix profile (self-join, exclusion zone ceil(m/4)), equal to stumpy 1.12.0 `stump`. */
export function matrixProfile(series: ArrayLike<number>, m: number): MatrixProfile {
  const t = toSeries(series);
  checkWindow(t.length, m);
  const p = prepare(t, m);
  const { rho, idx } = emptyProfile(p.l);
  scanDiagonals(p, p.excl + 1, p.l, rho, idx);
  applyConstantWindows(p, rho, idx);
  return { distances: toDistances(m, rho), indices: idx };
}

/**
 * Same result as `matrixProfile`, computed off the calling thread with the diagonals split across pooled
 * worker threads (idle workers do not keep the process alive; `closeMatrixProfileWorkers` ends them).
 */
export async function matrixProfileParallel(
  series: ArrayLike<number>,
  m: number,
  options: MatrixProfileOptions = {},
): Promise<MatrixProfile> {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw invalid(`matrix profile: threads must be a positive integer, got ${String(threads)}`);
  }
  const t = toSeries(series);
  checkWindow(t.length, m);
  const p = prepare(t, m);
  // Several chunks per thread, handed out as threads finish, balance the work under uneven CPU load.
  const chunks = splitDiagonals(p.l, p.excl, threads === 1 ? 1 : threads * CHUNKS_PER_THREAD);
  const parts = await scanOnWorkers(t, m, chunks, threads);
  const { rho, idx } = emptyProfile(p.l);
  for (const part of parts) mergeProfiles(rho, idx, part.rho, part.idx);
  applyConstantWindows(p, rho, idx);
  return { distances: toDistances(m, rho), indices: idx };
}
