import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/** A stable uuid for a GPU of a log that has none: the same file and GPU position always give the same device. */
export function syntheticUuid(file: string, gpu: number): string {
  const key = `${resolve(file)}#${gpu}`;
  let u = uuidCache.get(key);
  if (u === undefined) {
    u = `IMPORTED-${createHash('sha1').update(key).digest('hex')}`;
    if (uuidCache.size > 1000) uuidCache.clear();
    uuidCache.set(key, u);
  }
  return u;
}

const uuidCache = new Map<string, string>();

/**
 * How many GPUs a log without uuid/index column interleaves, from its first rows: a cycle of gpu_name values when
 * names differ, else a run of near-equal timestamps (rows of one query round are much closer together than rounds).
 */
export function detectGroupSize(rows: readonly { t: number; name: string | null }[]): number {
  const n = rows.length;
  if (n < 2) return 1;
  const names = rows.map((r) => r.name ?? '');
  if (new Set(names).size > 1) {
    for (let p = 2; p < n; p++) if (names.every((x, i) => x === names[i % p])) return p;
  }
  const diffs = rows.slice(1).map((r, i) => r.t - (rows[i] as { t: number }).t);
  const maxD = Math.max(...diffs);
  if (maxD <= 0) return 1;
  const small = (d: number): boolean => d >= 0 && d < maxD / 4;
  let g = 1;
  while (g - 1 < diffs.length && small(diffs[g - 1] as number)) g++;
  if (g === 1) return 1;
  return diffs.every((d, i) => small(d) === ((i + 1) % g !== 0)) ? g : 1;
}

/** Median of positive values (the sampling interval of a log); null when there are none. */
export function medianPositive(values: readonly number[]): number | null {
  const v = values.filter((x) => x > 0).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}
