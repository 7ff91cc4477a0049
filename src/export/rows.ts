import type { DB } from '../store/db.js';
import type { EpochRow } from '../store/epochs.js';
import type { DeviceRow, RunRow } from '../store/runs.js';

/** One GPU sample of a run as exported: RAM power interpolated at its time, and the epoch it falls in. */
export interface SampleRow {
  t: number;
  uuid: string;
  index: number | null;
  powerW: number | null;
  utilGpuPct: number | null;
  utilMemPct: number | null;
  memUsedMiB: number | null;
  tempC: number | null;
  ramW: number | null;
  /** CONTRACT numbering (from 1); null outside every epoch. */
  epoch: number | null;
}

const PAGE = 5000;

/** Keyset pages over one key of a WITHOUT ROWID table, so no cursor stays open between pages. */
function* paged<T extends { t: number }>(fetch: (after: number) => T[], from: number): Generator<T> {
  let after = from - 1;
  for (;;) {
    const rows = fetch(after);
    yield* rows;
    if (rows.length < PAGE) return;
    after = (rows[rows.length - 1] as T).t;
  }
}

type GpuDbRow = { t: number; power_cw: number | null; util_gpu: number | null; util_mem: number | null; mem_used_mib: number | null; temp_c: number | null };

/** GPU samples of all the run's devices in [started_at, ended_at], merged in time order. */
function* gpuSamples(db: DB, devices: DeviceRow[], from: number, to: number): Generator<{ d: DeviceRow; r: GpuDbRow }> {
  const stmt = db.prepare(
    `SELECT t, power_cw, util_gpu, util_mem, mem_used_mib, temp_c FROM gpu_samples
     WHERE dev = ? AND t > ? AND t <= ? ORDER BY t LIMIT ${PAGE}`,
  );
  const its = devices.map((d) => ({ d, it: paged((after) => stmt.all(d.id, after, to) as GpuDbRow[], from) }));
  const heads = its.map(({ d, it }) => ({ d, it, cur: it.next() }));
  for (;;) {
    let best: (typeof heads)[number] | null = null;
    for (const h of heads) if (!h.cur.done && (best === null || h.cur.value.t < (best.cur.value as GpuDbRow).t)) best = h;
    if (best === null) return;
    yield { d: best.d, r: best.cur.value as GpuDbRow };
    best.cur = best.it.next();
  }
}

/** RAM watts at increasing times, linearly between the process samples around it (null across gaps or outside). */
function ramAt(db: DB, rid: number, from: number, wattsPerGB: number, maxGapMs: number): (t: number) => number | null {
  const stmt = db.prepare(`SELECT t, rss_bytes FROM proc_samples WHERE rid = ? AND t > ? ORDER BY t LIMIT ${PAGE}`);
  const it = paged((after) => stmt.all(rid, after) as { t: number; rss_bytes: number }[], from - maxGapMs);
  const w = (rss: number): number => (rss / 1048576) * (wattsPerGB / 1000);
  let a = it.next();
  let b = it.next();
  return (t) => {
    while (!b.done && b.value.t <= t) {
      a = b;
      b = it.next();
    }
    if (a.done || a.value.t > t) return null;
    if (a.value.t === t) return w(a.value.rss_bytes);
    if (b.done || b.value.t - a.value.t > maxGapMs) return null;
    const f = (t - a.value.t) / (b.value.t - a.value.t);
    return w(a.value.rss_bytes) + f * (w(b.value.rss_bytes) - w(a.value.rss_bytes));
  };
}

/** The study's rule: a sample belongs to the first epoch ending at or after it (and starting at or before it). */
function epochAt(epochs: EpochRow[]): (t: number) => number | null {
  let i = 0;
  return (t) => {
    while (i < epochs.length && ((epochs[i] as EpochRow).ended_at ?? Infinity) < t) i++;
    const e = epochs[i];
    return e && e.started_at <= t ? e.epoch : null;
  };
}

export interface RowOptions {
  ramWattsPerGB: number;
  procMaxGapMs: number;
}

/** Every GPU sample of a run as export rows, in time order, in constant memory. */
export function* sampleRows(db: DB, run: RunRow, devices: DeviceRow[], epochs: EpochRow[], o: RowOptions): Generator<SampleRow> {
  const to = run.ended_at ?? Number.MAX_SAFE_INTEGER;
  const ram = ramAt(db, run.rid, run.started_at, o.ramWattsPerGB, o.procMaxGapMs);
  const ep = epochAt(epochs);
  for (const { d, r } of gpuSamples(db, devices, run.started_at, to)) {
    yield {
      t: r.t, uuid: d.uuid, index: d.idx, powerW: r.power_cw === null ? null : r.power_cw / 100, utilGpuPct: r.util_gpu,
      utilMemPct: r.util_mem, memUsedMiB: r.mem_used_mib, tempC: r.temp_c, ramW: ram(r.t), epoch: ep(r.t),
    };
  }
}

/** The run's process samples in [started_at, ended_at] (for the study's psutil log). */
export function* procRows(db: DB, run: RunRow): Generator<{ t: number; rss_bytes: number; cpu_pct: number }> {
  const to = run.ended_at ?? Number.MAX_SAFE_INTEGER;
  const stmt = db.prepare(`SELECT t, rss_bytes, cpu_pct FROM proc_samples WHERE rid = ? AND t > ? AND t <= ? ORDER BY t LIMIT ${PAGE}`);
  yield* paged((after) => stmt.all(run.rid, after, to) as { t: number; rss_bytes: number; cpu_pct: number }[], run.started_at);
}
