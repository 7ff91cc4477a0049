import type { Config } from '../config/schema.js';
import type { RunRow } from '../store/runs.js';
import type { SampleReader } from '../store/sample-queries.js';

const PAGE = 20_000;
/** Readings per GPU beyond which a whole run (no decision horizon: no epochs) is read as SQL means per bin instead. */
const RAW_LIMIT = 400_000;

/** The spacing of the detector's series: the configured gridMs, or (0, the default) the run's own sampling interval. */
export const seriesStepMs = (cfg: Config, run: Pick<RunRow, 'sample_ms'>): number => cfg.stabilization.gridMs || run.sample_ms;

/** Growable pair of typed arrays: the series so far. */
class Series {
  t = new Float64Array(1024);
  w = new Float64Array(1024);
  n = 0;
  push(t: number, w: number): void {
    if (this.n === this.t.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      [this.t, this.w] = [grow(this.t), grow(this.w)];
    }
    this.t[this.n] = t;
    this.w[this.n++] = w;
  }
  /**
   * Drops the ticks of the last `ms` and returns the time to read again after: just before the first dropped tick,
   * whose readings (all at or after its start, its GPUs a few ms apart) are then read whole again.
   */
  dropLast(ms: number): number {
    const last = this.t[this.n - 1] as number;
    let k = this.n;
    while (k > 1 && (this.t[k - 1] as number) >= last - ms) k--;
    this.n = k - 1;
    return (this.t[k - 1] as number) - 1;
  }
}

/** Every reading of one device in (after, to], paged along its key. */
function readAll(page: (after: number, limit: number) => [number, number][], after: number): { t: Float64Array; w: Float64Array } {
  const t: number[] = [];
  const w: number[] = [];
  for (let from = after; ;) {
    const rows = page(from, PAGE);
    for (const [ti, wi] of rows) {
      t.push(ti);
      w.push(wi);
    }
    if (rows.length < PAGE) break;
    from = (rows[rows.length - 1] as [number, number])[0];
  }
  return { t: Float64Array.from(t), w: Float64Array.from(w) };
}

/**
 * The run's GPU power as recorded, for the detector: one point per nvidia-smi tick (the readings of the run's GPUs
 * within half a sampling interval, summed; NaN where one GPU has no reading), nothing interpolated, nothing averaged;
 * a run without GPUs uses its process tree's RAM power. Kept between updates: only the stretch since the last one
 * (its last few seconds again, for samples that reach the store late) is read, so a live update costs O(new samples).
 */
export class PowerSeriesCache {
  private readonly s = new Series();
  private key = '';
  /** Set when the last update returned bin means of this width instead of the samples (a long run, no horizon). */
  coarseMs: number | null = null;

  update(reader: SampleReader, run: RunRow, devIds: number[], to: number, cfg: Config): { t: Float64Array; powerW: Float64Array } {
    const step = seriesStepMs(cfg, run);
    const key = `${run.rid}:${step}:${devIds.join(',')}`;
    if (key !== this.key) this.s.n = 0;
    this.key = key;
    // Samples reach the store up to a few seconds late: the last few seconds are read again at each update.
    const after = this.s.n > 0 ? this.s.dropLast(Math.max(5000, 3 * cfg.processSampleMs)) : run.started_at - 1;
    // A long run without epochs (no decision horizon) would be millions of samples: means per bin, at most
    // RAW_LIMIT / 4 of them, from SQL (the detector coarsens such a series anyway, and its step says so).
    const readings = this.s.n === 0 ? reader.countGpuPower(devIds, after, to) : 0;
    if (readings / Math.max(1, devIds.length) > RAW_LIMIT) {
      const bin = Math.ceil((readings / devIds.length / (RAW_LIMIT / 4))) * step;
      this.coarseMs = bin;
      const sums = new Map<number, { w: number; n: number }>();
      for (const [b, , w] of reader.gpuBins(devIds, run.started_at, bin, after + 1, to)) {
        const e = sums.get(b) ?? { w: 0, n: 0 };
        sums.set(b, { w: e.w + w, n: e.n + 1 });
      }
      for (const b of [...sums.keys()].sort((x, y) => x - y)) {
        const e = sums.get(b) as { w: number; n: number };
        this.s.push(run.started_at + b * bin + bin / 2, e.n === devIds.length ? e.w : Number.NaN);
      }
      this.key = ''; // not kept: the next update reads afresh
      return { t: this.s.t.slice(0, this.s.n), powerW: this.s.w.slice(0, this.s.n) };
    }
    this.coarseMs = null;
    if (devIds.length === 0) {
      const rss = readAll((a, l) => reader.rssPage(run.rid, a, to, l), after);
      for (let i = 0; i < rss.t.length; i++) this.s.push(rss.t[i] as number, ((rss.w[i] as number) / 1048576) * (cfg.ramWattsPerGB / 1000));
    } else {
      this.ticks(devIds.map((d) => readAll((a, l) => reader.gpuPowerPage(d, a, to, l), after)), Math.max(1, step / 2));
    }
    // Copies: the detector may hand them to a worker thread, which must not detach the cache's buffers.
    return { t: this.s.t.slice(0, this.s.n), powerW: this.s.w.slice(0, this.s.n) };
  }

  /** Merges the devices' readings into ticks: the earliest pending reading opens one, each device joins within tol. */
  private ticks(devs: { t: Float64Array; w: Float64Array }[], tol: number): void {
    const at = devs.map(() => 0);
    for (;;) {
      let t0 = Infinity;
      devs.forEach((d, k) => {
        if ((at[k] as number) < d.t.length) t0 = Math.min(t0, d.t[at[k] as number] as number);
      });
      if (t0 === Infinity) return;
      let sum = 0;
      let complete = true;
      devs.forEach((d, k) => {
        const i = at[k] as number;
        if (i < d.t.length && (d.t[i] as number) - t0 < tol) {
          sum += d.w[i] as number;
          at[k] = i + 1;
        } else complete = false;
      });
      this.s.push(t0, complete ? sum : Number.NaN);
    }
  }
}

/** The detector's series of a run in one go (see PowerSeriesCache). */
export function powerSeries(reader: SampleReader, run: RunRow, devIds: number[], to: number, cfg: Config): { t: Float64Array; powerW: Float64Array } {
  return new PowerSeriesCache().update(reader, run, devIds, to, cfg);
}
