import type { Config } from '../config/schema.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { homeFiles } from '../platform/paths.js';
import { openDatabase, type DB } from '../store/db.js';
import { DeviceStore } from '../store/devices.js';
import { GpuEnergyReader } from '../store/gpu-energy.js';
import { EpochStore } from '../store/epochs.js';
import { ImportStore } from '../store/imports.js';
import { RunStore } from '../store/runs.js';
import { SampleReader } from '../store/sample-queries.js';
import { SampleStore } from '../store/samples.js';
import { MeanCache } from './baselines.js';
import { EnergyService } from './energy.js';
import { sweepImports } from './imports.js';

/** The profiler database opened with every store and the energy service over it: what every entry point needs. */
export interface RunSet {
  cfg: Config;
  db: DB;
  runs: RunStore;
  epochs: EpochStore;
  samples: SampleStore;
  reader: SampleReader;
  devices: DeviceStore;
  imports: ImportStore;
  energy: EnergyService;
  clock: Clock;
  /** Running sums behind the baselines; a long-lived set (the daemon's) reads only new samples at each report. */
  means: MeanCache;
  /** The removal of imports killed mid-way, started at open in the background; resolves to how many it removed. */
  sweep: Promise<number>;
  close(): void;
}

/** Opens $PROFILER_HOME's database (or `path`) as a run set. */
export function openRunSet(cfg: Config, opts: { clock?: Clock; path?: string } = {}): RunSet {
  const db = openDatabase(opts.path ?? homeFiles(cfg.home).db);
  const runs = new RunStore(db);
  const epochs = new EpochStore(db);
  const samples = new SampleStore(db);
  const imports = new ImportStore(db, samples);
  let closed = false;
  // A failed sweep leaves those runs hidden, never shown: the next open sweeps again.
  const sweep = sweepImports(imports, { stop: () => closed, background: true }).catch(() => 0);
  return {
    cfg, db, runs, epochs, samples, imports, sweep,
    reader: new SampleReader(db),
    devices: new DeviceStore(db),
    energy: new EnergyService(cfg, runs, epochs, samples, new GpuEnergyReader(db)),
    clock: opts.clock ?? systemClock,
    means: new MeanCache(),
    close: () => {
      closed = true;
      db.close();
    },
  };
}

/** Runs `fn` on a freshly opened run set and closes it afterwards, also when `fn` throws or rejects. */
export async function withRunSet<T>(cfg: Config, fn: (set: RunSet) => T | Promise<T>): Promise<T> {
  const set = openRunSet(cfg);
  try {
    return await fn(set);
  } finally {
    set.close();
  }
}
