import { notFound } from '../errors.js';
import { deviceSpans, gpuEnergyWithin, jobMaxGapMs, jobProjection, nodeName, type JobProjection } from './job-energy.js';
import type { RunSet } from './open.js';
import { isoLocal, runJson, type ReportDeps, type RunJson } from './report.js';

/** A job's runs on this node, summed (`profiler show --job`, `profiler job` without Prometheus). */
export interface JobJson {
  id: string;
  host: string;
  status: 'running' | 'finished';
  startedAt: string;
  endedAt: string | null;
  /** GPUs the job's runs used on this node, each counted once. */
  gpus: number;
  energy: { totalJ: number; gpuJ: number; ramJ: number };
  projection: JobProjection;
  runs: RunJson[];
}

/** The job's energy on this node from the stored samples: a GPU that several of its runs used is integrated once. */
export function jobJson(set: ReportDeps & Pick<RunSet, 'cfg' | 'samples'>, jobId: string): JobJson {
  const rows = set.runs.list({ jobId });
  if (rows.length === 0) throw notFound(`no run of job ${JSON.stringify(jobId.slice(0, 100))} on this node`);
  const now = set.clock.now();
  const runs = rows.map((r) => runJson(set, r, { epochs: false }));
  const running = rows.some((r) => r.status === 'running');
  const spans = deviceSpans(rows, set.runs, now);
  const from = Math.min(...rows.map((r) => r.started_at));
  const end = running ? now : Math.max(...rows.map((r) => r.ended_at ?? r.started_at));
  const gpuJ = gpuEnergyWithin(set.samples, spans, from, end, jobMaxGapMs(set.cfg, rows));
  const ramJ = runs.reduce((a, r) => a + r.energy.ramJ, 0);
  const totalJ = gpuJ + ramJ;
  const parts = runs.map((r) => ({ running: r.status === 'running', totalJ: r.energy.totalJ, projection: r.projection }));
  return {
    id: jobId,
    // The node the runs were recorded on (a database is one node's), whoever reads it.
    host: rows.find((r) => r.host !== null)?.host ?? nodeName(set.cfg),
    status: running ? 'running' : 'finished',
    startedAt: isoLocal(from),
    endedAt: running ? null : isoLocal(end),
    gpus: spans.size,
    energy: { totalJ, gpuJ, ramJ },
    projection: jobProjection(parts, totalJ),
    runs,
  };
}
