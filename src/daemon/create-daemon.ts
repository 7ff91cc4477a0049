import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../api/app.js';
import type { Config } from '../config/schema.js';
import type { GpuSample, SamplerFactory } from '../samplers/types.js';
import { queryComputeApps } from '../samplers/nvidia-smi.js';
import { readGpuInventory } from '../samplers/gpu-inventory.js';
import { systemClock, systemScheduler, type Clock, type Scheduler } from '../platform/clock.js';
import { openDatabase, type DB } from '../store/db.js';
import { EpochStore } from '../store/epochs.js';
import { RunStore, type RunRow } from '../store/runs.js';
import { SampleStore } from '../store/samples.js';
import { homeFiles } from '../platform/paths.js';
import { runJson, stabilizationJson, type RunJson } from '../report/run-json.js';
import { MeanCache } from '../report/baselines.js';
import { Attributor } from './attributor.js';
import { AnalysisService } from './analysis-service.js';
import { detectStabilizationInWorker } from '../analysis/stabilization-worker.js';
import type { Stabilization, StabilizationInput } from '../analysis/stabilization.js';
import { EnergyService } from './energy-service.js';
import { GpuRegistry, type InventoryReader } from './gpu-registry.js';
import { Recorder } from './recorder.js';
import { SamplingService } from './sampling.js';
import { lastDataAt, pidAlive, recoverRuns } from './recovery.js';

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  /** Time for the whole daemon; `now` alone still works (it becomes the clock). */
  clock?: Clock;
  scheduler?: Scheduler;
  now?: () => number;
  /** Swappable parts, for tests. */
  samplers?: readonly SamplerFactory[];
  inventory?: InventoryReader;
  detect?: (input: StabilizationInput) => Promise<Stabilization | null>;
}

export interface Daemon {
  config: Config;
  log: Logger;
  db: DB;
  runs: RunStore;
  epochs: EpochStore;
  samples: SampleStore;
  energy: EnergyService;
  recorder: Recorder;
  sampling: SamplingService;
  registry: GpuRegistry;
  now: () => number;
  report(row: RunRow, o: { epochs: boolean }): RunJson;
  /** Run events (epoch, devices, status, stabilization, projection) as they happen. */
  listeners: Set<(run: RunRow, kind: string, data: object) => void>;
  /** Every batch of GPU samples as it arrives from nvidia-smi (before it is stored). */
  gpuListeners: Set<(samples: GpuSample[]) => void>;
  /** The cached analysis of a run (one indexed row read): what /projection and /stabilization serve. */
  analysisOf(run: RunRow): { stabilization: unknown; projection: unknown };
  analysis: AnalysisService;
  devices(): object[];
  health(): Record<string, unknown>;
  app: FastifyInstance;
  listen(): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

/** The daemon as a function of its config and parts; the CLI only parses arguments and calls this. */
export function createDaemon(opts: DaemonOptions): Daemon {
  const cfg = opts.config;
  const log = opts.logger;
  const clock: Clock = opts.clock ?? (opts.now ? { now: opts.now } : systemClock);
  const now = opts.now ?? ((): number => clock.now());
  const scheduler = opts.scheduler ?? systemScheduler();
  const db: DB = openDatabase(homeFiles(cfg.home).db);
  const runs = new RunStore(db);
  const epochs = new EpochStore(db);
  const samples = new SampleStore(db);
  const energy = new EnergyService(cfg, runs, epochs, samples);
  const registry = new GpuRegistry(db, samples, log.child({ mod: 'inventory' }),
    opts.inventory ?? (() => readGpuInventory({ command: cfg.nvidiaSmi, timeoutMs: cfg.inventoryTimeoutMs })));
  const listeners = new Set<(run: RunRow, kind: string, data: object) => void>();
  const gpuListeners = new Set<(samples: GpuSample[]) => void>();
  const emit = (run: RunRow, kind: string, data: object): void => {
    for (const l of listeners) l(run, kind, data);
    if (kind === 'epoch' && (data as { event?: string }).event === 'finalized') void analysis.request(run.id);
  };
  const analysis: AnalysisService = new AnalysisService(cfg, db, runs, epochs, log.child({ mod: 'analysis' }), emit,
    opts.detect ?? detectStabilizationInWorker);
  const sampling: SamplingService = new SamplingService({
    cfg, log: log.child({ mod: 'sampling' }), store: samples, clock, scheduler, samplers: opts.samplers,
    onGpuGap(g) {
      for (const r of runs.list({ status: 'running' })) runs.addEvent(r.rid, 'gpu_gap', g, g.from);
    },
    onGpuSamples(batch) {
      for (const l of gpuListeners) l(batch);
      let appeared = false;
      for (const s of batch) appeared = registry.noteIndex(s.uuid, s.index, s.powerLimitW) || appeared;
      if (appeared) attributor.deviceAppeared();
    },
    onOrphan(runId) {
      // The client that wraps the command died (e.g. kill -9) and will never finish the run: end it where its data ends.
      const run = runs.byId(runId);
      // Checked with kill(0), not procfs: a misconfigured procRoot must not end live runs.
      if (run?.status !== 'running' || pidAlive(run.client_pid)) return;
      log.warn({ run: runId }, 'the run\'s command is gone and its client never finished it: marking it interrupted');
      sampling.untrack(runId);
      attributor.release(runId);
      const ended = recorder.interrupt(run, lastDataAt(db, run), 'its command ended and its client never finished the run');
      void analysis.request(ended.id);
    },
  });
  const attributor: Attributor = new Attributor(runs, log.child({ mod: 'attribution' }),
    () => queryComputeApps(cfg.nvidiaSmi, 10_000), (id) => sampling.pidsOf(id),
    (run, source) => {
      // Devices changed: epochs already closed get their energy again from the stored samples.
      recorder.refinalize(run);
      emit(run, 'devices', { source });
    }, cfg.computeAppsPollMs, () => registry.presentIds(), scheduler);
  const recorder: Recorder = new Recorder(cfg, log.child({ mod: 'recorder' }), runs, epochs, samples, energy, {
    onRunStarted(run, req) {
      sampling.track(run.id, run.rid, req.pid);
      void registry.ready.then(() => {
        const fresh = runs.byId(run.id);
        if (fresh?.status === 'running') attributor.assign(fresh, req);
      });
    },
    onAttach(run, pid) {
      sampling.attach(run.id, pid);
    },
    onRunEnded(run) {
      sampling.untrack(run.id);
      attributor.release(run.id);
    },
    async waitForSamples(run, t) {
      const uuids = runs.devices(run.rid).map((d) => d.uuid);
      await sampling.waitForGpu(uuids, t, 2 * cfg.sampleMs + 200);
    },
    emit,
    afterSeal: (run) => analysis.request(run.id),
  }, now);
  const means = new MeanCache();
  const report = (row: RunRow, o: { epochs: boolean }): RunJson => runJson({ db, runs, epochs, energy, now, means }, row, o);
  const startedAt = now();
  const daemon: Daemon = {
    config: cfg, log, db, runs, epochs, samples, energy, recorder, sampling, registry, now, report, listeners, gpuListeners,
    analysis,
    analysisOf(run) {
      const a = run.analysis ? (JSON.parse(run.analysis) as Record<string, unknown>) : {};
      return { stabilization: stabilizationJson(a.stabilization as Stabilization | null | undefined), projection: a.projection ?? null };
    },
    devices: () => runs.allDevices().map((d) => ({ uuid: d.uuid, index: d.idx, name: d.name, powerLimitW: d.power_limit_w,
      memTotalMiB: d.mem_total_mib, driverVersion: d.driver_version, cudaVersion: d.cuda_version })),
    health: () => ({ ok: true, pid: process.pid, startedAt, home: cfg.home, version: 1,
      activeRuns: runs.list({ status: 'running' }).length, gpuSampler: sampling.gpuHealth, samplers: sampling.health(),
      samplesReceived: sampling.samplesReceived, rowsWritten: samples.rowsWritten, rowsPending: samples.pending }),
    app: null as unknown as FastifyInstance,
    async listen(): Promise<{ host: string; port: number }> {
      await daemon.app.listen({ host: cfg.host, port: cfg.port });
      const addr = daemon.app.server.address();
      return { host: cfg.host, port: typeof addr === 'object' && addr ? addr.port : cfg.port };
    },
    async close(): Promise<void> {
      recorder.close();
      attributor.close();
      await daemon.app.close();
      await sampling.close();
      db.close();
    },
  };
  daemon.app = buildApp(daemon, { logger: log.child({ mod: 'api' }), token: cfg.token });
  recoverRuns({ db, runs, recorder, log, resume: (run) => sampling.track(run.id, run.rid, run.client_pid) });
  for (const r of runs.list({ status: 'interrupted' })) if (r.analysis === null) void analysis.request(r.id);
  return daemon;
}
