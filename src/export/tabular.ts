import type { ColumnSource, ParquetWriter as Writer } from 'hyparquet-writer';
import { isoLocal, type EpochJson, type RunJson } from '../runs/report.js';
import type { SampleRow } from './rows.js';

/** Columns of the per-sample power profile, in order (CSV header, JSON keys, parquet columns). */
export const SAMPLE_COLUMNS = [
  'time', 't_ms', 'device_uuid', 'device_index', 'power_w', 'util_gpu_pct', 'util_mem_pct', 'mem_used_mib', 'temp_c',
  'ram_w', 'epoch',
] as const;

export const EPOCH_COLUMNS = [
  'epoch', 'printed', 'started_at', 'ended_at', 'duration_s', 'energy_j', 'gpu_j', 'ram_j', 'cpu_j', 'avg_power_w',
] as const;

type Cell = string | number | null;

export function sampleRecord(r: SampleRow): Record<(typeof SAMPLE_COLUMNS)[number], Cell> {
  return {
    time: isoLocal(r.t), t_ms: r.t, device_uuid: r.uuid, device_index: r.index, power_w: r.powerW,
    util_gpu_pct: r.utilGpuPct, util_mem_pct: r.utilMemPct, mem_used_mib: r.memUsedMiB, temp_c: r.tempC, ram_w: r.ramW,
    epoch: r.epoch,
  };
}

export function epochRecord(e: EpochJson): Record<(typeof EPOCH_COLUMNS)[number], Cell> {
  return {
    epoch: e.epoch, printed: e.printed, started_at: e.startedAt, ended_at: e.endedAt, duration_s: e.durationS,
    energy_j: e.energyJ, gpu_j: e.gpuJ, ram_j: e.ramJ, cpu_j: e.cpuJ, avg_power_w: e.avgPowerW,
  };
}

/** RFC 4180 quoting where a cell needs it; null is an empty cell. */
export function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const BATCH = 2000;

/** CSV text in chunks of BATCH lines. */
export async function* csvChunks<T>(columns: readonly string[], rows: Iterable<T>, rec: (r: T) => Record<string, Cell>): AsyncGenerator<string> {
  let buf = columns.join(',') + '\n';
  let n = 0;
  for (const r of rows) {
    const o = rec(r);
    buf += columns.map((c) => csvCell(o[c] ?? null)).join(',') + '\n';
    if (++n % BATCH === 0) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** `{"run": RUN, "<key>": [ … ]}` streamed, so a long run never sits in memory as one string. */
export async function* jsonChunks<T>(run: RunJson, key: string, rows: Iterable<T>, rec: (r: T) => object): AsyncGenerator<string> {
  let buf = `{"run":${JSON.stringify(run)},"${key}":[`;
  let n = 0;
  for (const r of rows) {
    buf += (n > 0 ? ',' : '') + '\n' + JSON.stringify(rec(r));
    if (++n % BATCH === 0) {
      yield buf;
      buf = '';
    }
  }
  yield buf + '\n]}\n';
}

const PARQUET_GROUP = 50_000;
const STRING_COLS = new Set(['time', 'device_uuid', 'started_at', 'ended_at']);
const INT_COLS = new Set(['t_ms', 'device_index', 'epoch', 'printed']);

/**
 * Parquet in row groups of PARQUET_GROUP rows, each group's bytes handed out as soon as it is encoded (the writer's
 * buffer is rewound after every group, as hyparquet-writer's own file writer does). Run JSON goes in key-value metadata.
 */
export async function* parquetChunks<T>(columns: readonly string[], rows: Iterable<T>, rec: (r: T) => Record<string, Cell>, run: RunJson): AsyncGenerator<Uint8Array> {
  // Loaded on the first Parquet export: its 121 modules cost the daemon ~7 MB of RSS and 65 ms at every start.
  const { ByteWriter, ParquetWriter, schemaFromColumnData } = await import('hyparquet-writer');
  const writer = new ByteWriter();
  let pq: Writer | null = null;
  const drain = (): Uint8Array => {
    const out = new Uint8Array(writer.buffer, 0, writer.index).slice();
    writer.index = 0;
    return out;
  };
  const columnData = (batch: Record<string, Cell>[]): ColumnSource[] =>
    columns.map((name) => ({
      name,
      data: batch.map((o) => o[name] ?? null),
      type: STRING_COLS.has(name) ? 'STRING' : INT_COLS.has(name) ? 'INT64' : 'DOUBLE',
      nullable: true,
    }));
  const flush = (batch: Record<string, Cell>[]): void => {
    const cols = columnData(batch).map((c) => (c.type === 'INT64' ? { ...c, data: (c.data as (number | null)[]).map((v) => (v === null ? null : BigInt(v))) } : c));
    pq ??= new ParquetWriter({ writer, schema: schemaFromColumnData({ columnData: cols }), kvMetadata: [{ key: 'train-profiler.run', value: JSON.stringify(run) }], createdBy: 'train-profiler' });
    if (batch.length > 0) void pq.write({ columnData: cols, rowGroupSize: batch.length });
  };
  let batch: Record<string, Cell>[] = [];
  for (const r of rows) {
    batch.push(rec(r));
    if (batch.length >= PARQUET_GROUP) {
      flush(batch);
      batch = [];
      yield drain();
    }
  }
  if (pq === null || batch.length > 0) flush(batch);
  void (pq as unknown as Writer).finish();
  yield drain();
}
