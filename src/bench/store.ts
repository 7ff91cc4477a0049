// SampleStore write paths: bulk insert (import, generators), live writes in the daemon's 100 ms batches of 8 rows,
// and bytes per GPU sample on disk after VACUUM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GpuSample } from '../samplers/types.js';
import { openDatabase, type DB } from '../store/db.js';
import { SampleStore } from '../store/samples.js';
import { figure, type Figure } from './util.js';

export const uuidOf = (d: number): string => `GPU-be4c${String(d).padStart(4, '0')}-0000-4000-8000-${String(d).padStart(12, '0')}`;

/** Samples of `gpus` GPUs every `stepMs` from t0, power varying like a training run (reused object shape). */
export function* synthSamples(gpus: number, count: number, t0: number, stepMs: number): Generator<GpuSample> {
  const uuids = Array.from({ length: gpus }, (_, d) => uuidOf(d));
  for (let i = 0; i < count; i++) {
    const tick = Math.floor(i / gpus);
    const d = i % gpus;
    yield {
      t: t0 + tick * stepMs,
      uuid: uuids[d]!,
      index: d,
      powerW: 550 + 50 * Math.sin(tick / 600) + ((tick * 7 + d) % 13),
      powerInstantW: null,
      powerLimitW: 700,
      utilGpuPct: 90 + (tick % 10),
      utilMemPct: 40 + (tick % 7),
      memUsedMiB: 60000 + (tick % 100),
      memTotalMiB: 81559,
      tempC: 60 + (tick % 5),
      smClockMHz: 1980,
    };
  }
}

/** Writes `rows` GPU samples through SampleStore.addGpu + flush in batches of `batch`; returns seconds. */
export function writeSamples(store: SampleStore, gpus: number, rows: number, batch: number, t0: number, stepMs = 100): number {
  const buf: GpuSample[] = [];
  const start = performance.now();
  for (const s of synthSamples(gpus, rows, t0, stepMs)) {
    buf.push(s);
    if (buf.length === batch) {
      store.addGpu(buf);
      store.flush();
      buf.length = 0;
    }
  }
  store.addGpu(buf);
  store.flush();
  return (performance.now() - start) / 1000;
}

export function dbBytes(db: DB): number {
  return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
}

function freshStore(): { dir: string; db: DB; store: SampleStore } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-'));
  const db = openDatabase(join(dir, 'profiler.db'));
  return { dir, db, store: new SampleStore(db) };
}

/** Bulk, live and bytes/sample over 3 fresh databases each (quick: tiny sizes). */
export async function benchStore(opts: { quick: boolean }): Promise<Figure[]> {
  const gpus = 8;
  const bulkRows = opts.quick ? 20_000 : 2_000_000;
  const liveBatches = opts.quick ? 300 : 10_000;
  const runs = 3;
  const bulk: number[] = [];
  const bytes: number[] = [];
  const live: number[] = [];
  for (let r = 0; r < runs; r++) {
    const a = freshStore();
    try {
      const s = writeSamples(a.store, gpus, bulkRows, 100_000, Date.UTC(2026, 0, 1));
      bulk.push(bulkRows / s);
      a.db.pragma('wal_checkpoint(TRUNCATE)');
      a.db.exec('VACUUM');
      bytes.push(dbBytes(a.db) / bulkRows);
    } finally {
      a.db.close();
      rmSync(a.dir, { recursive: true, force: true });
    }
    const b = freshStore();
    try {
      const s = writeSamples(b.store, gpus, liveBatches * gpus, gpus, Date.UTC(2026, 0, 1));
      live.push((liveBatches * gpus) / s);
    } finally {
      b.db.close();
      rmSync(b.dir, { recursive: true, force: true });
    }
  }
  return [
    figure(`store/bulk/rows=${bulkRows}`, 'store bulk insert', { rows: bulkRows, batch: 100_000 }, 'rows/s', bulk, { op: '>=', value: 1_000_000 }),
    figure(`store/live/rows=${liveBatches * gpus}`, 'store live write', { rows: liveBatches * gpus, batch: gpus }, 'rows/s', live, { op: '>=', value: 50_000 }),
    figure(`store/bytes/rows=${bulkRows}`, 'bytes per GPU sample', { rows: bulkRows, vacuum: 'yes' }, 'B', bytes, { op: '<=', value: 32 }),
  ];
}
