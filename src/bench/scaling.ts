// How query costs and DB size grow with run length: 1 h, 24 h (and with --full 7 days) of 100 ms samples of
// 8 GPUs generated straight into a database through SampleStore, then the whole-run queries timed on it.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config/load.js';
import { createDaemon } from '../daemon/create-daemon.js';
import { PowerSeriesCache, powerSeries } from '../runs/power-series.js';
import { homeFiles, packageRoot } from '../platform/paths.js';
import { openDatabase } from '../store/db.js';
import { EpochStore } from '../store/epochs.js';
import { RunStore } from '../store/runs.js';
import { SampleStore } from '../store/samples.js';
import { uuidOf, writeSamples } from './store.js';
import { figure, type Figure } from './util.js';
import { internal } from '../errors.js';

const GPUS = 8;
const STEP_MS = 100;
const EPOCHS = 20;

/** Writes a finished run of `hours` into a fresh home: GPU rows at 100 ms, process RSS at 1 s, 20 epochs. */
function generate(home: string, hours: number): { runId: string; rows: number; genS: number } {
  const db = openDatabase(homeFiles(home).db);
  const store = new SampleStore(db);
  const runs = new RunStore(db);
  const epochs = new EpochStore(db);
  const t0 = Date.UTC(2026, 0, 1);
  const durMs = hours * 3600_000;
  const rows = (durMs / STEP_MS) * GPUS;
  const genS = writeSamples(store, GPUS, rows, 200_000, t0, STEP_MS);
  const run = runs.create({ name: `bench ${hours} h`, command: ['bench'], cwd: null, startedAt: t0, expectedEpochs: EPOCHS,
    clientPid: null, sampleMs: STEP_MS, meta: {} });
  runs.setDevices(run.rid, Array.from({ length: GPUS }, (_, d) => store.deviceId(uuidOf(d))), 'all');
  for (let t = t0; t <= t0 + durMs; t += 1000) store.addProc({ rid: run.rid, t, rssBytes: 8 * 2 ** 30, cpuPct: 100, nProcs: 4 });
  store.flush();
  for (let e = 0; e < EPOCHS; e++) {
    const ep = epochs.open(run.rid, t0 + (e * durMs) / EPOCHS, e, 'bench');
    epochs.close(run.rid, ep.epoch, t0 + ((e + 1) * durMs) / EPOCHS);
  }
  // Finished without a stored total, so GET recomputes it from the samples (as for a running run).
  runs.update(run.rid, { status: 'succeeded', ended_at: t0 + durMs, exit_code: 0 });
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { runId: run.id, rows, genS };
}

function timeIt(runs: number, fn: () => unknown): Promise<number[]> {
  return (async () => {
    const out: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await fn();
      out.push((performance.now() - t0) / 1000);
    }
    return out;
  })();
}

export async function benchScaling(opts: { quick: boolean; full: boolean }): Promise<Figure[]> {
  const lengths = opts.quick ? [0.1] : opts.full ? [1, 24, 168] : [1, 24];
  const out: Figure[] = [];
  for (const hours of lengths) {
    const home = mkdtempSync(join(tmpdir(), 'bench-scaling-'));
    try {
      const { runId, rows, genS } = generate(home, hours);
      const sizeB = statSync(homeFiles(home).db).size;
      const config = loadConfig({ env: { PROFILER_HOME: home, PROFILER_PORT: '0',
        PROFILER_NVIDIA_SMI: join(packageRoot(), 'scripts', 'fake-nvidia-smi') } });
      const daemon = createDaemon({ config, logger: pino({ level: 'silent' }) });
      try {
        await daemon.ready;
        const run = daemon.runs.byId(runId)!;
        const n = opts.quick ? 1 : 3;
        const params = { hours, rows };
        const energy = await timeIt(n, () => daemon.energy.compute(run, run.ended_at!));
        const get = await timeIt(n, async () => {
          const r = await daemon.app.inject({ method: 'GET', url: `/v1/runs/${runId}` });
          if (r.statusCode !== 200) throw internal(`GET run: ${r.statusCode} ${r.body}`);
        });
        const devIds = daemon.runs.devices(run.rid).map((d) => d.id);
        const grid = await timeIt(n, () => powerSeries(daemon.set.reader, run, devIds, run.ended_at!, config));
        // A running run as the daemon keeps it: energy prefix up to the last finalized epoch (here: 10 min before the
        // end), then only the open tail is integrated; the detector grid cache takes only the new minutes.
        daemon.energy.advancePrefix(run, run.ended_at! - 600_000);
        const withPrefix = daemon.runs.byId(runId)!;
        const live = await timeIt(n, () => daemon.energy.live(withPrefix, run.ended_at!));
        const cache = new PowerSeriesCache();
        cache.update(daemon.set.reader, run, devIds, run.ended_at! - 600_000, config);
        const gridInc = await timeIt(1, () => cache.update(daemon.set.reader, run, devIds, run.ended_at!, config));
        out.push(
          figure(`scaling/energy/h=${hours}`, 'EnergyService.compute, whole run', params, 's', energy),
          figure(`scaling/get-run/h=${hours}`, 'GET run JSON (energy recomputed)', params, 's', get),
          figure(`scaling/power-grid/h=${hours}`, 'analysis power grid (SQL)', params, 's', grid),
          figure(`scaling/live-energy/h=${hours}`, 'live energy (prefix + 10 min tail)', params, 's', live),
          figure(`scaling/power-grid-inc/h=${hours}`, 'power grid update (last 10 min)', params, 's', gridInc),
          figure(`scaling/db-size/h=${hours}`, 'DB size', params, 'MB', [sizeB / 1e6], null, `${(sizeB / rows).toFixed(1)} B/row before VACUUM`),
          figure(`scaling/generate/h=${hours}`, 'generation (bulk insert)', params, 's', [genS]),
        );
      } finally {
        await daemon.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  return out;
}
