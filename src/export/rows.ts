import type { EpochRow } from '../store/epochs.js';
import type { DeviceRow, RunRow } from '../store/runs.js';
import type { GpuExportRow, ProcExportRow, SampleReader } from '../store/sample-queries.js';

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

/** What the study's nvidia-smi log holds of a sample. */
export type GpuReading = Pick<SampleRow, 't' | 'powerW' | 'utilGpuPct' | 'utilMemPct' | 'memUsedMiB' | 'tempC'>;

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

/** GPU samples of all the run's devices in [started_at, ended_at], merged in time order. */
function* gpuSamples(reader: SampleReader, devices: DeviceRow[], from: number, to: number): Generator<{ d: DeviceRow; r: GpuExportRow }> {
  const its = devices.map((d) => ({ d, it: paged((after) => reader.gpuPage(d.id, after, to, PAGE), from) }));
  const heads = its.map(({ d, it }) => ({ d, it, cur: it.next() }));
  for (;;) {
    let best: (typeof heads)[number] | null = null;
    for (const h of heads) if (!h.cur.done && (best === null || h.cur.value.t < (best.cur.value as GpuExportRow).t)) best = h;
    if (best === null) return;
    yield { d: best.d, r: best.cur.value as GpuExportRow };
    best.cur = best.it.next();
  }
}

/** RAM watts at increasing times, linearly between the process samples around it (null across gaps or outside). */
function ramAt(reader: SampleReader, rid: number, from: number, wattsPerGB: number, maxGapMs: number): (t: number) => number | null {
  const it = paged((after) => reader.procPage(rid, after, Number.MAX_SAFE_INTEGER, PAGE), from - maxGapMs);
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
export function* sampleRows(reader: SampleReader, run: RunRow, devices: DeviceRow[], epochs: EpochRow[], o: RowOptions): Generator<SampleRow> {
  const to = run.ended_at ?? Number.MAX_SAFE_INTEGER;
  const ram = ramAt(reader, run.rid, run.started_at, o.ramWattsPerGB, o.procMaxGapMs);
  const ep = epochAt(epochs);
  for (const { d, r } of gpuSamples(reader, devices, run.started_at, to)) {
    yield {
      t: r.t, uuid: d.uuid, index: d.idx, powerW: r.power_cw === null ? null : r.power_cw / 100, utilGpuPct: r.util_gpu,
      utilMemPct: r.util_mem, memUsedMiB: r.mem_used_mib, tempC: r.temp_c, ramW: ram(r.t), epoch: ep(r.t),
    };
  }
}

/** The run's process samples in [started_at, ended_at] (for the study's psutil log). */
export function* procRows(reader: SampleReader, run: RunRow): Generator<ProcExportRow> {
  const to = run.ended_at ?? Number.MAX_SAFE_INTEGER;
  yield* paged((after) => reader.procPage(run.rid, after, to, PAGE), run.started_at);
}

const reading = (r: GpuExportRow): GpuReading => ({
  t: r.t, powerW: r.power_cw === null ? null : r.power_cw / 100, utilGpuPct: r.util_gpu, utilMemPct: r.util_mem,
  memUsedMiB: r.mem_used_mib, tempC: r.temp_c,
});

/** The row at `t` between two samples, each value linear in time and rounded as stored; null where the energy bridges no pair. */
function edgeRow(a: GpuExportRow | undefined, b: GpuExportRow | undefined, t: number, maxGapMs: number): GpuExportRow | null {
  if (!a || !b || a.power_cw === null || b.power_cw === null || b.t - a.t > maxGapMs) return null;
  const f = (t - a.t) / (b.t - a.t);
  const at = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : Math.round(x + f * (y - x)));
  return {
    t, power_cw: at(a.power_cw, b.power_cw), util_gpu: at(a.util_gpu, b.util_gpu), util_mem: at(a.util_mem, b.util_mem),
    mem_used_mib: at(a.mem_used_mib, b.mem_used_mib), temp_c: at(a.temp_c, b.temp_c),
  };
}

/**
 * One device's samples in [started_at, ended_at] for the study's log, plus a row at each edge that falls between two
 * samples the energy bridges: the run's energy interpolates its power there, and an import starts and ends the run at
 * the first and last rows, so the log carries the run's interval and imports back with the same energy.
 */
export function* deviceRows(reader: SampleReader, run: RunRow, d: DeviceRow, maxGapMs: number): Generator<GpuReading> {
  const from = run.started_at;
  const to = run.ended_at ?? Number.MAX_SAFE_INTEGER;
  const first = reader.gpuNeighbour(d.id, from - 1, 'after');
  const head = first?.t === from ? null : edgeRow(reader.gpuNeighbour(d.id, from, 'before'), first, from, maxGapMs);
  if (head) yield reading(head);
  for (const r of paged((after) => reader.gpuPage(d.id, after, to, PAGE), from)) yield reading(r);
  if (run.ended_at === null || to <= from) return;
  const last = reader.gpuNeighbour(d.id, to + 1, 'before');
  const tail = last?.t === to ? null : edgeRow(last, reader.gpuNeighbour(d.id, to, 'after'), to, maxGapMs);
  if (tail) yield reading(tail);
}
