import type { ProjectionJson } from '../analysis/estimators/index.js';
import type { Stabilization } from '../analysis/stabilization.js';
import type { RunBudget, RunEnergy } from '../store/run-data.js';
import type { JobRef, RunRow, RunStatus } from '../store/runs.js';

/** A run to register (POST /v1/runs, `profiler run`). */
export interface NewRun {
  id?: string;
  name: string | null;
  command: string[];
  cwd: string | null;
  pid: number | null;
  startedAt: number;
  expectedEpochs: number | null;
  cudaVisibleDevices: string | null;
  gpus: string | null;
  meta: Record<string, string>;
  /** The job the run belongs to; the node's name is the daemon's own (`nodeName`). */
  job?: JobRef | null;
  /** `profiler run --budget E --on-budget A`: the daemon says when the run exceeds it (a `budget` event). */
  budget?: { limitJ: number; action: 'warn' | 'stop' } | null;
}

export interface EpochMark {
  event: 'start' | 'end';
  epoch: number | null;
  at: number;
  total: number | null;
  source: string | null;
}

export interface FinishRequest {
  exitCode: number | null;
  signal: string | null;
  endedAt: number;
  status?: RunStatus;
}

/** What each kind of run event carries. */
export interface RunEventData {
  epoch: { epoch: number; event: 'start' | 'end'; at: number } | { epoch: number; event: 'finalized'; energyJ: number | null };
  devices: { source: string };
  status: { status: RunStatus; energy: RunEnergy };
  stabilization: { stabilization: Stabilization | null };
  projection: { projection: ProjectionJson };
  budget: { budget: RunBudget };
}

export type RunEventKind = keyof RunEventData;

/** The typed events of a run's life, as the daemon fans them out to the event stream, metrics and analysis. */
export type RunEvent = { [K in RunEventKind]: { kind: K; data: RunEventData[K] } }[RunEventKind];

export type RunListener = (run: RunRow, event: RunEvent) => void;
