import type { ExportFormat, ExportOptions, ExportPart } from '../export/index.js';
import type { ProjectionJson } from '../analysis/estimators/index.js';
import type { EpochMark, FinishRequest, NewRun, RunListener } from '../runs/lifecycle.js';
import type { JobMetric } from '../runs/job-meter.js';
import type { MeteredRun, StreamTotal } from '../runs/metered.js';
import type { EpochJson, RunJson, StabilizationJson } from '../runs/report.js';
import type { Clock, Scheduler } from '../platform/clock.js';
import type { GpuSample, SamplerHealth } from '../samplers/types.js';
import type { PowerPoint } from '../store/sample-queries.js';
import type { RunEnergy } from '../store/run-data.js';
import type { RunBrief, RunRow, RunStatus } from '../store/runs.js';

export interface DeviceJson {
  uuid: string;
  index: number | null;
  name: string | null;
  powerLimitW: number | null;
  memTotalMiB: number | null;
  driverVersion: string | null;
  cudaVersion: string | null;
}

export interface SamplesJson {
  id: string;
  from: number;
  to: number;
  bucketMs: number;
  devices: { uuid: string; index: number | null; points: PowerPoint[] }[];
}

/** What /metrics shows, read in one go. */
export interface MetricsSnapshot {
  running: { id: string; energy: MeteredRun; projection: ProjectionJson | null }[];
  finished: { id: string; energy: RunEnergy; projection: ProjectionJson | null }[];
  /** Jobs with a running run or a run finished within the grace period, on this node (`host`). */
  jobs: JobMetric[];
  host: string;
  graceS: number;
  gpus: StreamTotal[];
  samplers: SamplerHealth[];
  samplesReceived: number;
  rowsWritten: number;
  rowsPending: number;
  rowsDropped: number;
}

/** Read-only questions the API asks; a run reference that names no run throws PROF_ERR_NOT_FOUND. */
export interface ApiQueries {
  health(): Record<string, unknown>;
  devices(): { devices: DeviceJson[]; warnings: string[] };
  resolve(ref: string): RunRow;
  list(o: { status?: RunStatus; jobId?: string; limit: number }): RunRow[];
  /** The running runs, as much of them as the live stream needs (rows are not decoded: polled every second). */
  running(): RunBrief[];
  runDevices(run: Pick<RunRow, 'rid'>): { uuid: string; idx: number | null }[];
  report(run: RunRow, o: { epochs: boolean }): RunJson;
  epochs(run: RunRow): EpochJson[];
  analysisOf(run: RunRow): { stabilization: StabilizationJson | null; projection: ProjectionJson | null };
  samples(run: RunRow, from: number, to: number, maxPoints: number): SamplesJson;
  exportRun(run: RunRow, format: ExportFormat, opts: ExportOptions): { part: ExportPart; chunks: AsyncIterable<string | Uint8Array> };
  metrics(): MetricsSnapshot;
}

/** The changes the API may ask for. */
export interface ApiCommands {
  /** Starts the GPU stream if needed and waits (bounded) for its first sample. */
  warmUp(boundMs: number): Promise<void>;
  start(req: NewRun): RunRow;
  attach(run: RunRow, pid: number): void;
  mark(run: RunRow, m: EpochMark): { epoch: number };
  finish(run: RunRow, f: FinishRequest): Promise<RunRow>;
}

/** Subscriptions; each returns its unsubscriber. */
export interface ApiEvents {
  onRun(l: RunListener): () => void;
  onGpu(l: (batch: readonly GpuSample[]) => void): () => void;
}

/** Everything the HTTP API needs of the daemon, and nothing more. */
export interface ApiDeps {
  queries: ApiQueries;
  commands: ApiCommands;
  events: ApiEvents;
  clock: Clock;
  scheduler: Scheduler;
  /** How far back a run may start and how far ahead of the daemon's clock a time may be (config). */
  limits: { startHorizonMs: number; clockSkewMs: number };
}
