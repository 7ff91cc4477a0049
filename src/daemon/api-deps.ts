import type { ApiDeps, MetricsSnapshot } from '../api/deps.js';
import { exportRun } from '../export/index.js';
import type { Scheduler } from '../platform/clock.js';
import type { AnalysisService } from '../runs/analysis.js';
import type { RunListener } from '../runs/lifecycle.js';
import type { JobMeter } from '../runs/job-meter.js';
import { nodeName } from '../runs/job-energy.js';
import type { MeteredEnergy } from '../runs/metered.js';
import type { RunSet } from '../runs/open.js';
import { epochJson, runJson, stabilizationJson } from '../runs/report.js';
import type { GpuSample } from '../samplers/types.js';
import { bucketWidth } from '../store/sample-queries.js';
import type { GpuRegistry } from './gpu-registry.js';
import type { Recorder } from './recorder.js';
import type { SamplingService } from './sampling.js';

/** The runtime parts the API is served from. */
export interface ApiSources {
  set: RunSet;
  recorder: Recorder;
  sampling: SamplingService;
  registry: GpuRegistry;
  analysis: AnalysisService;
  metered: MeteredEnergy;
  jobs: JobMeter;
  scheduler: Scheduler;
  runListeners: Set<RunListener>;
  gpuListeners: Set<(batch: readonly GpuSample[]) => void>;
  health(): Record<string, unknown>;
  /** Asked before every change: a disk about to fill frees the reserve first, so the change fits. */
  storage: { check(): void };
}

const subscribe = <T>(set: Set<T>, l: T): (() => void) => {
  set.add(l);
  return () => set.delete(l);
};

function metrics(s: ApiSources): MetricsSnapshot {
  const { set, metered, sampling } = s;
  const now = set.clock.now();
  const running = set.runs.list({ status: 'running' });
  metered.retain(new Set(running.map((r) => r.id)));
  // Finished runs (and jobs) stay for the grace period only: /metrics stays bounded however many runs the node keeps.
  const since = now - set.cfg.metricsGraceS * 1000;
  const finished = set.runs.endedSince(since, 1000);
  return {
    running: running.map((r) => ({ id: r.id, energy: metered.run(r, now), projection: r.analysis?.projection ?? null })),
    // endedSince returns sealed runs only; the guard just tells the type checker.
    finished: finished.flatMap((r) => (r.energy ? [{ id: r.id, energy: r.energy, projection: r.analysis?.projection ?? null }] : [])),
    jobs: s.jobs.read(set.runs.activeJobs(since), now),
    host: nodeName(set.cfg),
    graceS: set.cfg.metricsGraceS,
    gpus: metered.streamTotals(),
    samplers: sampling.health(),
    samplesReceived: sampling.samplesReceived,
    rowsWritten: set.samples.rowsWritten,
    rowsPending: set.samples.pending,
    rowsDropped: set.samples.rowsDropped,
  };
}

/** The narrow interface the HTTP API declares, served by the daemon's parts. */
export function apiDepsOf(s: ApiSources): ApiDeps {
  const { set, recorder } = s;
  return {
    clock: set.clock,
    scheduler: s.scheduler,
    limits: { startHorizonMs: set.cfg.startHorizonMs, clockSkewMs: set.cfg.clockSkewMs },
    events: { onRun: (l) => subscribe(s.runListeners, l), onGpu: (l) => subscribe(s.gpuListeners, l) },
    commands: {
      warmUp: (ms) => s.sampling.warmUp(ms),
      start: (req) => (s.storage.check(), recorder.start(req)),
      attach: (run, pid) => (s.storage.check(), recorder.attach(run, pid)),
      mark: (run, m) => (s.storage.check(), recorder.mark(run, m)),
      finish: (run, f) => (s.storage.check(), recorder.finish(run, f)),
    },
    queries: {
      health: () => s.health(),
      devices: () => ({
        devices: set.runs.allDevices().map((d) => ({ uuid: d.uuid, index: d.idx, name: d.name, powerLimitW: d.power_limit_w,
          memTotalMiB: d.mem_total_mib, driverVersion: d.driver_version, cudaVersion: d.cuda_version })),
        warnings: s.registry.warnings,
      }),
      resolve: (ref) => set.runs.resolve(ref),
      list: (o) => set.runs.list(o),
      running: () => set.runs.runningBrief(),
      runDevices: (run) => set.runs.devices(run.rid),
      report: (run, o) => runJson(set, run, o),
      epochs: (run) => set.epochs.list(run.rid).map(epochJson),
      analysisOf: (run) => ({ stabilization: stabilizationJson(run.analysis?.stabilization), projection: run.analysis?.projection ?? null }),
      samples: (run, from, to, maxPoints) => {
        const bucketMs = bucketWidth(from, to, maxPoints);
        set.samples.flush();
        const devices = set.runs.devices(run.rid).map((d) => ({
          uuid: d.uuid, index: d.idx, points: set.reader.downsampleGpuPower(d.id, from, to, bucketMs) }));
        return { id: run.id, from, to, bucketMs, devices };
      },
      exportRun: (run, format, opts) => {
        set.samples.flush();
        return exportRun(set, run, format, opts);
      },
      metrics: () => metrics(s),
    },
  };
}
