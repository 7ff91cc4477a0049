import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../api/app.js';
import type { Config } from '../config/schema.js';
import type { GpuSample, SamplerFactory } from '../samplers/types.js';
import { queryComputeApps } from '../samplers/nvidia-smi.js';
import { readGpuInventory } from '../samplers/gpu-inventory.js';
import { systemClock, systemScheduler, type Clock, type Scheduler } from '../platform/clock.js';
import { pidAlive } from '../platform/process.js';
import { AnalysisService } from '../runs/analysis.js';
import type { RunEvent, RunListener } from '../runs/lifecycle.js';
import { JobMeter } from '../runs/job-meter.js';
import { MeteredEnergy } from '../runs/metered.js';
import { openRunSet, type RunSet } from '../runs/open.js';
import type { DB } from '../store/db.js';
import type { EpochStore } from '../store/epochs.js';
import type { RunRow, RunStore } from '../store/runs.js';
import type { EnergyService } from '../runs/energy.js';
import { StabilizationWorker } from '../analysis/stabilization-worker.js';
import type { Stabilization, StabilizationInput } from '../analysis/stabilization.js';
import { apiDepsOf } from './api-deps.js';
import { BudgetWatch } from './budget-watch.js';
import { Attributor } from './attributor.js';
import { GpuRegistry, type InventoryReader } from './gpu-registry.js';
import { Recorder } from './recorder.js';
import { SamplingService } from './sampling.js';
import { recoverRuns } from './recovery.js';
import { StorageGuard } from './storage.js';
import { applyOutcomes } from './outcomes.js';

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  scheduler?: Scheduler;
  /** Swappable parts, for tests: the samplers (default: the registry's), the GPU inventory, the detector. */
  samplers?: readonly SamplerFactory[];
  inventory?: InventoryReader;
  detect?: (input: StabilizationInput) => Promise<Stabilization | null>;
  /** The detector's worker (default: one of its own); ignored with `detect`, which analyses each update in one go. */
  detector?: StabilizationWorker;
}

const ORPHAN_REASON = 'its client died; the command\'s exit code is unknown';

/** The running daemon: its run set, its runtime parts (for tests and benchmarks) and its HTTP app. */
export interface Daemon {
  config: Config;
  set: RunSet;
  db: DB;
  runs: RunStore;
  epochs: EpochStore;
  energy: EnergyService;
  recorder: Recorder;
  sampling: SamplingService;
  app: FastifyInstance;
  /** Resolves once the GPU inventory has been read. */
  ready: Promise<void>;
  listen(): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

/** How often running runs' new samples go to the live detector (its matrix profile grows with the run). */
const LIVE_FEED_MS = 5000;

/** The daemon as a function of its config and parts; the CLI only parses arguments and calls this. */
export function createDaemon(opts: DaemonOptions): Daemon {
  const cfg = opts.config;
  const log = opts.logger;
  const clock = opts.clock ?? systemClock;
  const scheduler = opts.scheduler ?? systemScheduler();
  const set = openRunSet(cfg, { clock });
  const { runs, samples } = set;
  // First, so that the reserve is set aside before anything writes and the device rows' writes can use it.
  const storage = new StorageGuard({ home: cfg.home, log: log.child({ mod: 'storage' }), samples, scheduler, now: () => clock.now(),
    onResume() {
      // Runs that ended while their last samples were held: sealed again now that the samples are stored.
      for (const r of recorder.resealHeld()) void analysis.request(r.id);
    } });
  storage.start();
  const write = <T>(fn: () => T): T => storage.write(fn);
  const registry = new GpuRegistry(set.devices, samples, log.child({ mod: 'inventory' }),
    opts.inventory ?? (() => readGpuInventory({ command: cfg.nvidiaSmi, timeoutMs: cfg.inventoryTimeoutMs })), clock, write);
  const runListeners = new Set<RunListener>();
  const gpuListeners = new Set<(samples: readonly GpuSample[]) => void>();
  const metered = new MeteredEnergy(set);
  const emit = (run: RunRow, e: RunEvent): void => {
    // The run's devices changed or it ended: its metered energy so far is recomputed on the next scrape.
    if (e.kind === 'devices' || e.kind === 'status') metered.forget(run.id);
    for (const l of runListeners) l(run, e);
    if (e.kind === 'epoch' && e.data.event === 'finalized') void analysis.request(run.id);
  };
  // One worker thread for the detector: whole series sent to it, and each live run's series and streaming matrix
  // profile kept in it (fed every few seconds) so an epoch's update never profiles the run again.
  const detector = opts.detect ? null : (opts.detector ?? new StabilizationWorker());
  const analysis: AnalysisService = new AnalysisService(cfg, set, log.child({ mod: 'analysis' }), emit,
    opts.detect ?? ((input) => (detector as StabilizationWorker).detect(input)), clock, detector ?? undefined);
  const feedTimer = scheduler.setInterval(() => analysis.feedRunning(), LIVE_FEED_MS);
  const sampling: SamplingService = new SamplingService({
    cfg, log: log.child({ mod: 'sampling' }), store: samples, clock, scheduler, samplers: opts.samplers,
    onGpuGap(g) {
      try {
        write(() => runs.atomically(() => {
          for (const r of runs.list({ status: 'running' })) runs.addEvent(r.rid, 'gpu_gap', g, g.from);
        }));
      } catch (err) {
        // The runs' energy still shows the hole (its coverage and gaps come from the samples); never a crash for it.
        log.error({ err, gap: g }, 'recording a GPU gap on the running runs failed');
      }
    },
    onGpuSamples(batch) {
      metered.addStream(batch);
      for (const l of gpuListeners) l(batch);
      let appeared = false;
      for (const s of batch) appeared = registry.noteIndex(s.uuid, s.index, s.powerLimitW) || appeared;
      if (appeared) write(() => runs.atomically(() => attributor.deviceAppeared()));
    },
    onOrphan(runId) {
      // The client that wraps the command died (e.g. kill -9) and will never finish the run: end it where its data ends.
      const run = runs.byId(runId);
      // Checked with kill(0), not procfs: a misconfigured procRoot must not end live runs.
      if (run?.status !== 'running' || pidAlive(run.client_pid)) return;
      log.warn({ run: runId }, 'the run\'s command is gone and its client never finished it: marking it interrupted');
      sampling.untrack(runId);
      attributor.release(runId);
      samples.flush(); // the tree's last samples may still be queued
      // The command outlived its client (the output guard): it ended when its tree was last seen, not at this check.
      const ended = write(() => runs.atomically(() => recorder.interrupt(run, set.reader.lastAliveAt(run.rid, run.started_at), ORPHAN_REASON)));
      void analysis.request(ended.id);
    },
  });
  const attributor: Attributor = new Attributor(runs, log.child({ mod: 'attribution' }),
    () => queryComputeApps(cfg.nvidiaSmi, 10_000), (id) => sampling.pidsOf(id),
    (run, source) => {
      // Devices changed: epochs already closed get their energy again from the stored samples.
      recorder.refinalize(run);
      emit(run, { kind: 'devices', data: { source } });
    }, cfg.computeAppsPollMs, () => registry.presentIds(), scheduler);
  const recorder: Recorder = new Recorder(cfg, log.child({ mod: 'recorder' }), runs, set.epochs, samples, set.energy, {
    onRunStarted(run, req) {
      sampling.track(run.id, run.rid, req.pid);
      void registry.ready.then(() => {
        const fresh = runs.byId(run.id);
        // One transaction, so that a try the full disk refused left no half of it behind.
        if (fresh?.status === 'running') write(() => runs.atomically(() => attributor.assign(fresh, req)));
      }).catch((err: unknown) => log.error({ err, run: run.id }, 'assigning the run its GPUs failed'));
    },
    onAttach: (run, pid) => sampling.attach(run.id, pid),
    onRunEnded(run) {
      sampling.untrack(run.id);
      attributor.release(run.id);
    },
    async waitForSamples(run, t) {
      const uuids = runs.devices(run.rid).map((d) => d.uuid);
      await sampling.waitForGpu(uuids, t, 2 * cfg.sampleMs + 200);
    },
    emit,
    afterSeal: async (run) => {
      await analysis.request(run.id);
      budgets.ended(run.id);
    },
  }, () => clock.now(), scheduler);
  const startedAt = clock.now();
  const health = (): Record<string, unknown> => ({ ok: true, pid: process.pid, startedAt, home: cfg.home, version: 1, storage: storage.state,
    activeRuns: runs.runningIds().length, gpuSampler: sampling.gpuHealth, samplers: sampling.health(),
    samplesReceived: sampling.samplesReceived, rowsWritten: samples.rowsWritten, rowsPending: samples.pending, rowsLost: samples.rowsLost });
  const jobs = new JobMeter(set, metered);
  const budgets = new BudgetWatch(runs, metered, emit, clock, scheduler, log.child({ mod: 'budget' }), cfg.budgetCheckMs);
  runListeners.add(budgets.onRun);
  const app = buildApp(apiDepsOf({ set, recorder, sampling, registry, analysis, metered, jobs, scheduler, runListeners, gpuListeners, health, storage }),
    { logger: log.child({ mod: 'api' }), token: cfg.token });
  recoverRuns({ set, recorder, log, resume: (run) => sampling.track(run.id, run.rid, run.client_pid) });
  for (const r of runs.list({ status: 'interrupted' })) if (r.analysis === null) void analysis.request(r.id);
  // Outcomes clients saved when no daemon answered: at start, then every few seconds (a client that timed out).
  let applying = false;
  const outcomes = (): void => {
    if (applying) return;
    applying = true;
    void applyOutcomes(cfg.home, runs, recorder, log.child({ mod: 'outcomes' })).finally(() => (applying = false));
  };
  outcomes();
  const outcomeTimer = scheduler.setInterval(outcomes, 5000);
  return {
    config: cfg, set, db: set.db, runs, epochs: set.epochs, energy: set.energy, recorder, sampling, app, ready: registry.ready,
    async listen(): Promise<{ host: string; port: number }> {
      await app.listen({ host: cfg.host, port: cfg.port });
      const addr = app.server.address();
      return { host: cfg.host, port: typeof addr === 'object' && addr ? addr.port : cfg.port };
    },
    async close(): Promise<void> {
      recorder.close();
      budgets.close();
      storage.close();
      scheduler.clear(outcomeTimer);
      scheduler.clear(feedTimer);
      attributor.close();
      await app.close();
      await sampling.close();
      await detector?.close();
      set.close();
    },
  };
}
