import type { DB } from './db.js';

export interface PowerPoint {
  /** Bucket start, epoch ms. */
  t: number;
  /** Samples with a power reading in the bucket. */
  n: number;
  meanW: number | null;
  minW: number | null;
  maxW: number | null;
}

/** Bucket width that splits [from, to] into at most maxPoints buckets (at least 1 ms). */
export function bucketWidth(from: number, to: number, maxPoints: number): number {
  return Math.max(1, Math.ceil((to - from + 1) / Math.max(1, maxPoints)));
}

/**
 * GPU power of one device in [from, to], downsampled in SQL to min/max/mean per bucket of `bucketMs`: one range scan
 * of the (dev, t) primary key, whatever the span, so a week of 100 ms samples costs one pass and returns few rows.
 */
export function downsampleGpuPower(db: DB, dev: number, from: number, to: number, bucketMs: number): PowerPoint[] {
  const rows = db
    .prepare(
      `SELECT CAST((t - @from) / @bucket AS INTEGER) AS b, count(power_cw) AS n, avg(power_cw) AS mean, min(power_cw) AS lo, max(power_cw) AS hi
       FROM gpu_samples WHERE dev = @dev AND t >= @from AND t <= @to
       GROUP BY b ORDER BY b`,
    )
    .all({ dev, from: Math.floor(from), to: Math.floor(to), bucket: Math.floor(bucketMs) }) as {
      b: number; n: number; mean: number | null; lo: number | null; hi: number | null;
    }[];
  const w = (cw: number | null): number | null => (cw === null ? null : cw / 100);
  return rows.map((r) => ({ t: Math.floor(from) + r.b * bucketMs, n: r.n, meanW: w(r.mean), minW: w(r.lo), maxW: w(r.hi) }));
}

