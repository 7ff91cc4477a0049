import { statementCache, type DB } from './db.js';

export interface PowerPoint {
  /** Bucket start, epoch ms. */
  t: number;
  /** Samples with a power reading in the bucket. */
  n: number;
  meanW: number | null;
  minW: number | null;
  maxW: number | null;
}

/** One GPU sample row as the export reads it (centiwatts as stored). */
export interface GpuExportRow {
  t: number;
  power_cw: number | null;
  util_gpu: number | null;
  util_mem: number | null;
  mem_used_mib: number | null;
  temp_c: number | null;
}

export interface ProcExportRow {
  t: number;
  rss_bytes: number;
  cpu_pct: number;
}

/** Bucket width that splits [from, to] into at most maxPoints buckets (at least 1 ms). */
export function bucketWidth(from: number, to: number, maxPoints: number): number {
  return Math.max(1, Math.ceil((to - from + 1) / Math.max(1, maxPoints)));
}

const w = (cw: number | null): number | null => (cw === null ? null : cw / 100);

/** The read side of the samples: downsampled views, detector bins, means, keyset pages for exports. */
export class SampleReader {
  private readonly q;
  constructor(db: DB) {
    this.q = statementCache(db);
  }

  /**
   * GPU power of one device in [from, to], downsampled in SQL to min/max/mean per bucket of `bucketMs`: one range scan
   * of the (dev, t) primary key, whatever the span, so a week of 100 ms samples costs one pass and returns few rows.
   */
  downsampleGpuPower(dev: number, from: number, to: number, bucketMs: number): PowerPoint[] {
    const rows = this.q(
      `SELECT CAST((t - @from) / @bucket AS INTEGER) AS b, count(power_cw) AS n, avg(power_cw) AS mean, min(power_cw) AS lo,
       max(power_cw) AS hi FROM gpu_samples WHERE dev = @dev AND t >= @from AND t <= @to GROUP BY b ORDER BY b`,
    ).all({ dev, from: Math.floor(from), to: Math.floor(to), bucket: Math.floor(bucketMs) }) as {
      b: number; n: number; mean: number | null; lo: number | null; hi: number | null;
    }[];
    return rows.map((r) => ({ t: Math.floor(from) + r.b * bucketMs, n: r.n, meanW: w(r.mean), minW: w(r.lo), maxW: w(r.hi) }));
  }

  /**
   * One device's GPU power readings (W) in (after, to], in time order, in pages of `limit` along the (dev, t) key
   * (no sort): the detector's series is built from the samples as recorded.
   */
  gpuPowerPage(dev: number, after: number, to: number, limit: number): [number, number][] {
    return this.q(
      'SELECT t, power_cw / 100.0 FROM gpu_samples WHERE dev = ? AND t > ? AND t <= ? AND power_cw IS NOT NULL ORDER BY t LIMIT ?',
    ).raw().all(dev, after, to, limit) as [number, number][];
  }

  /** How many power readings the devices have in (after, to] (a range count along the key). */
  countGpuPower(devIds: number[], after: number, to: number): number {
    if (devIds.length === 0) return 0;
    return (this.q(`SELECT count(power_cw) AS n FROM gpu_samples WHERE dev IN (${devIds.map(() => '?').join(',')}) AND t > ? AND t <= ?`)
      .get(...devIds, after, to) as { n: number }).n;
  }

  /** The host's total memory (bytes) as sampled in [from, to]; null when no host sample there has it. */
  hostMemTotal(from: number, to: number): number | null {
    return (this.q('SELECT max(mem_total_bytes) AS b FROM host_samples WHERE t >= ? AND t <= ?').get(from, to) as { b: number | null }).b;
  }

  /** A run's process-tree RSS (bytes) in (after, to], in time order, in pages: the series of a run without GPUs. */
  rssPage(rid: number, after: number, to: number, limit: number): [number, number][] {
    return this.q('SELECT t, rss_bytes FROM proc_samples WHERE rid = ? AND t > ? AND t <= ? ORDER BY t LIMIT ?')
      .raw().all(rid, after, to, limit) as [number, number][];
  }

  /** Mean GPU power (W) per device and bin of `binMs` from `origin`, for samples in [since, to]: [bin, dev, watts]. */
  gpuBins(devIds: number[], origin: number, binMs: number, since: number, to: number): [number, number, number][] {
    if (devIds.length === 0) return [];
    return (this.q(
      `SELECT CAST((t - ?) / ? AS INTEGER) AS b, dev, avg(power_cw) / 100.0 AS p FROM gpu_samples
       WHERE dev IN (${devIds.map(() => '?').join(',')}) AND t >= ? AND t <= ? AND power_cw IS NOT NULL GROUP BY dev, b`,
    ).raw().all(origin, binMs, ...devIds, since, to)) as [number, number, number][];
  }

  /** Mean RSS (bytes) of a run's process tree per bin, like gpuBins: [bin, bytes]. */
  rssBins(rid: number, origin: number, binMs: number, since: number, to: number): [number, number][] {
    return (this.q(
      'SELECT CAST((t - ?) / ? AS INTEGER) AS b, avg(rss_bytes) AS r FROM proc_samples WHERE rid = ? AND t >= ? AND t <= ? GROUP BY b',
    ).raw().all(origin, binMs, rid, since, to)) as [number, number][];
  }

  /** Sum and count of a device's GPU utilization, or of a run's RSS, over (after, to]. */
  sumSince(kind: 'util' | 'rss', id: number, after: number, to: number): { sum: number; n: number } {
    const r = this.q(
      kind === 'util'
        ? 'SELECT sum(util_gpu) AS s, count(util_gpu) AS n FROM gpu_samples WHERE dev = ? AND t > ? AND t <= ?'
        : 'SELECT sum(rss_bytes) AS s, count(rss_bytes) AS n FROM proc_samples WHERE rid = ? AND t > ? AND t <= ?',
    ).get(id, after, to) as { s: number | null; n: number };
    return { sum: r.s ?? 0, n: r.n };
  }

  /** A keyset page of one device's GPU samples in (after, to]. */
  gpuPage(dev: number, after: number, to: number, limit: number): GpuExportRow[] {
    return this.q(
      `SELECT t, power_cw, util_gpu, util_mem, mem_used_mib, temp_c FROM gpu_samples
       WHERE dev = ? AND t > ? AND t <= ? ORDER BY t LIMIT ?`,
    ).all(dev, after, to, limit) as GpuExportRow[];
  }

  /** A device's GPU sample nearest `t` strictly before it, or strictly after it: what the energy interpolates at an edge. */
  gpuNeighbour(dev: number, t: number, side: 'before' | 'after'): GpuExportRow | undefined {
    return this.q(
      side === 'before'
        ? 'SELECT t, power_cw, util_gpu, util_mem, mem_used_mib, temp_c FROM gpu_samples WHERE dev = ? AND t < ? ORDER BY t DESC LIMIT 1'
        : 'SELECT t, power_cw, util_gpu, util_mem, mem_used_mib, temp_c FROM gpu_samples WHERE dev = ? AND t > ? ORDER BY t LIMIT 1',
    ).get(dev, t) as GpuExportRow | undefined;
  }

  /** A keyset page of a run's process samples in (after, to]. */
  procPage(rid: number, after: number, to: number, limit: number): ProcExportRow[] {
    return this.q('SELECT t, rss_bytes, cpu_pct FROM proc_samples WHERE rid = ? AND t > ? AND t <= ? ORDER BY t LIMIT ?')
      .all(rid, after, to, limit) as ProcExportRow[];
  }

  hasProc(rid: number): boolean {
    return this.q('SELECT 1 FROM proc_samples WHERE rid = ? LIMIT 1').get(rid) !== undefined;
  }

  /**
   * The last time a run was seen alive: its last process-tree sample (one is stored only while some of its processes
   * live) or epoch mark, else its start. GPU samples do not count: the stream goes on after the command is gone.
   */
  lastAliveAt(rid: number, startedAt: number): number {
    const r = this.q(
      `SELECT max(coalesce((SELECT max(t) FROM proc_samples WHERE rid = @rid), 0),
                  coalesce((SELECT max(coalesce(ended_at, started_at)) FROM epochs WHERE rid = @rid), 0), @start) AS t`,
    ).get({ rid, start: startedAt }) as { t: number };
    return r.t;
  }

  /** The last time anything was recorded for a run (its process samples, epoch marks or GPU samples). */
  lastDataAt(rid: number, startedAt: number): number {
    const r = this.q(
      `SELECT max(coalesce((SELECT max(t) FROM proc_samples WHERE rid = @rid), 0),
                  coalesce((SELECT max(coalesce(ended_at, started_at)) FROM epochs WHERE rid = @rid), 0),
                  coalesce((SELECT max(g.t) FROM gpu_samples g JOIN run_devices rd ON rd.dev = g.dev
                            WHERE rd.rid = @rid AND g.t >= @start), 0), @start) AS t`,
    ).get({ rid, start: startedAt }) as { t: number };
    return r.t;
  }
}
