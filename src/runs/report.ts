import type { ProjectionJson } from '../analysis/estimators/index.js';
import type { Stabilization } from '../analysis/stabilization.js';
import type { EpochRow } from '../store/epochs.js';
import type { RunEnergy } from '../store/run-data.js';
import type { JobSource, RunRow } from '../store/runs.js';
import { computeBaselines, type Baselines } from './baselines.js';
import type { RunSet } from './open.js';

export interface RunJson {
  id: string;
  name: string | null;
  command: string[];
  status: RunRow['status'];
  exitCode: number | null;
  signal: string | null;
  startedAt: string;
  endedAt: string | null;
  durationS: number;
  devices: { uuid: string; index: number | null; name: string | null; powerLimitW: number | null; shared: boolean }[];
  gpuSource: string;
  energy: {
    totalJ: number; gpuJ: number; ramJ: number; cpuJ: number | null; gpuCoverage: number; gaps: number;
    /** gpuJ is NVML's total-energy counter ("counter") or ∫ power.draw ("integral"); both figures, and why not the counter. */
    gpuMethod: 'counter' | 'integral'; gpuCounterJ: number | null; gpuIntegralJ: number; gpuNote: string | null;
  };
  epochs?: EpochJson[];
  expectedEpochs: number | null;
  stabilization: StabilizationJson | null;
  projection: ProjectionJson | null;
  baselines: Baselines;
  meta: Record<string, string>;
  /** Mean power of each GPU (by uuid) in the seconds before the run started; {} when none was sampled then. */
  idleBaselineW: Record<string, number>;
  /** The node's name (null for runs recorded before jobs existed). */
  host: string | null;
  job: JobJsonRef | null;
  /** CONTRACT.md's `budget`, `at` as ISO-8601, with why it was exceeded. */
  budget: BudgetJson | null;
}

export interface BudgetJson {
  limitJ: number;
  action: 'warn' | 'stop';
  exceeded: boolean;
  at: string | null;
  reason: string | null;
}

/** CONTRACT.md's `job` of a run: `step` is SLURM's step id where there is one. */
export interface JobJsonRef {
  id: string;
  source: JobSource;
  host: string | null;
  rank: number | null;
  step: string | null;
}

export interface EpochJson {
  epoch: number;
  printed: number | null;
  startedAt: string;
  endedAt: string | null;
  durationS: number | null;
  energyJ: number | null;
  gpuJ: number | null;
  ramJ: number | null;
  cpuJ: number | null;
  avgPowerW: number | null;
}

/** ISO-8601 with the local offset, as CONTRACT.md asks ("times are ISO-8601 strings with offset"). */
export function isoLocal(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const pad = (n: number, w = 2): string => String(Math.abs(Math.trunc(n))).padStart(w, '0');
  const local = new Date(ms + off * 60_000);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:` +
    `${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}` +
    `${sign}${pad(off / 60)}:${pad(off % 60)}`
  );
}

/** The contract's stabilization object: times as ISO strings (`at` chosen, `flussAt` FLUSS's location). */
export interface StabilizationJson {
  method: Stabilization['method'];
  at: string | null;
  epoch: number | null;
  cacMin: number | null;
  flussAt: string | null;
  confident: boolean;
  reason: string;
}

export type ReportDeps = Pick<RunSet, 'runs' | 'epochs' | 'energy' | 'reader' | 'clock' | 'means'>;

/** The run JSON of CONTRACT.md; a running run's energy is computed live up to now. */
export function runJson(deps: ReportDeps, row: RunRow, opts: { epochs: boolean }): RunJson {
  const end = row.ended_at ?? deps.clock.now();
  const devices = deps.runs.devices(row.rid);
  const energy: RunEnergy = row.energy ?? deps.energy.live(row, end);
  const out: RunJson = {
    id: row.id,
    name: row.name,
    command: row.command,
    status: row.status,
    exitCode: row.exit_code,
    signal: row.signal,
    startedAt: isoLocal(row.started_at),
    endedAt: row.ended_at === null ? null : isoLocal(row.ended_at),
    durationS: (end - row.started_at) / 1000,
    devices: devices.map((d) => ({
      uuid: d.uuid,
      index: d.idx,
      name: d.name,
      powerLimitW: d.power_limit_w,
      shared: d.shared === 1,
    })),
    gpuSource: row.gpu_source,
    energy: energyJson(energy),
    expectedEpochs: row.expected_epochs,
    stabilization: stabilizationJson(row.analysis?.stabilization),
    projection: row.analysis?.projection ?? null,
    baselines: computeBaselines(deps.reader, row.rid, devices, row.started_at, end, deps.means),
    meta: row.meta,
    idleBaselineW: row.baseline,
    host: row.host,
    job: row.job_id === null ? null
      : { id: row.job_id, source: row.job_source ?? 'flag', host: row.job_host, rank: row.job_rank, step: row.job_step },
    budget: row.budget === null ? null : { ...row.budget, at: row.budget.at === null ? null : isoLocal(row.budget.at) },
  };
  if (opts.epochs) out.epochs = deps.epochs.list(row.rid).map(epochJson);
  return out;
}

/** The run JSON's `energy` of a stored energy: the gaps counted (the stored list stays internal). */
export function energyJson(energy: RunEnergy): RunJson['energy'] {
  return {
    totalJ: energy.totalJ,
    gpuJ: energy.gpuJ,
    ramJ: energy.ramJ,
    cpuJ: energy.cpuJ,
    gpuCoverage: energy.gpuCoverage,
    gaps: energy.gapCount ?? energy.gaps.length,
    // Energy sealed before NVML support is the integral.
    gpuMethod: energy.gpuMethod ?? 'integral',
    gpuCounterJ: energy.gpuCounterJ ?? null,
    gpuIntegralJ: energy.gpuIntegralJ ?? energy.gpuJ,
    gpuNote: energy.gpuNote ?? null,
  };
}

export function stabilizationJson(s: Stabilization | null | undefined): StabilizationJson | null {
  if (!s) return null;
  const iso = (ms: number | null): string | null => (ms === null || !Number.isFinite(ms) ? null : isoLocal(ms));
  return { method: s.method, at: iso(s.at), epoch: s.epoch, cacMin: s.cacMin, flussAt: iso(s.flussAt), confident: s.confident, reason: s.reason };
}

export function epochJson(e: EpochRow): EpochJson {
  return {
    epoch: e.epoch,
    printed: e.printed,
    startedAt: isoLocal(e.started_at),
    endedAt: e.ended_at === null ? null : isoLocal(e.ended_at),
    durationS: e.ended_at === null ? null : (e.ended_at - e.started_at) / 1000,
    energyJ: e.energy_j,
    gpuJ: e.gpu_j,
    ramJ: e.ram_j,
    cpuJ: e.cpu_j,
    avgPowerW: e.avg_power_w,
  };
}
