// Benchmark: exact matrix profile of a random walk (m = 10) against stumpy 1.12.0 `stump` on the same machine class.
import { availableParallelism } from 'node:os';
import { matrixProfile, matrixProfileParallel } from '../analysis/matrix-profile.js';
import { figure, type Figure } from './util.js';

/** stumpy 1.12.0 `stump`, random walk, m = 10, JIT excluded, median of 3 (see test/fixtures/fluss/README.md). */
const STUMPY_S: Record<number, Record<number, number>> = {
  10_000: { 1: 0.191, 2: 0.107 },
  50_000: { 1: 4.7, 2: 2.4 },
};

const M = 10;

/** Deterministic random walk (mulberry32 uniform steps). */
export function randomWalk(n: number, seed = 1): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  let v = 0;
  for (let k = 0; k < n; k++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    v += ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
    out[k] = v;
  }
  return out;
}

async function timeRuns(runs: number, fn: () => unknown): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return times;
}

/** Measures n = 10,000 and 50,000 (quick: 1,000 and 2,000) with one thread and with all threads. */
export async function benchMatrixProfile(opts: { quick: boolean }): Promise<Figure[]> {
  const sizes = opts.quick ? [1_000, 2_000] : [10_000, 50_000];
  const all = availableParallelism();
  const threadCounts = all > 1 ? [1, all] : [1];
  const runs = 3;
  // Warm-up at the smallest size, as stumpy's figures exclude numba's JIT: V8 tiers the kernel up over the
  // first two calls in each thread (OSR, then full optimization), and the worker pool starts.
  const warm = randomWalk(sizes[0]!, 9);
  for (let k = 0; k < 2; k++) {
    matrixProfile(warm, M);
    await matrixProfileParallel(warm, M, { threads: all });
  }
  const results: Figure[] = [];
  for (const n of sizes) {
    const series = randomWalk(n);
    for (const threads of threadCounts) {
      const times =
        threads === 1
          ? await timeRuns(runs, () => matrixProfile(series, M))
          : await timeRuns(runs, () => matrixProfileParallel(series, M, { threads }));
      const baseline = STUMPY_S[n]?.[threads] ?? null;
      // The target: as fast as stumpy on the same machine class (50k: faster than its 2-thread 2.40 s).
      const target = baseline === null ? null : { op: '<=' as const, value: baseline };
      const label = baseline === null ? undefined : `stumpy 1.12.0 stump, ${threads} thread${threads > 1 ? 's' : ''}: ${baseline} s`;
      results.push(figure(`matrix-profile/n=${n}/m=${M}/threads=${threads}`, 'matrix-profile', { n, m: M, threads }, 's', times, target, label));
    }
  }
  return results;
}
