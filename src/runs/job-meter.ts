import type { RunRow } from '../store/runs.js';
import { deviceSpans, gpuEnergyWithin, jobMaxGapMs, jobProjection, type JobProjection } from './job-energy.js';
import { settledBefore, type MeteredEnergy } from './metered.js';
import type { RunSet } from './open.js';

/** A job's energy on this node as /metrics reports it. */
export interface JobMetric {
  id: string;
  energyJ: number;
  projection: JobProjection;
}

interface JobAcc {
  /** The job's runs, their ends and devices: when it changes, the GPU energy is integrated again from the start. */
  key: string;
  until: number;
  gpuJ: number;
  /** The last value reported: the counter never goes back. */
  reported: number;
}

/**
 * Job counters for /metrics: GPU energy over the union of the job's runs' intervals per GPU (a shared GPU counted
 * once), integrated incrementally from the stored samples, plus the runs' RAM energy.
 */
export class JobMeter {
  private readonly jobs = new Map<string, JobAcc>();

  constructor(private readonly set: Pick<RunSet, 'cfg' | 'runs' | 'samples'>, private readonly metered: MeteredEnergy) {}

  read(ids: readonly string[], now: number): JobMetric[] {
    for (const id of this.jobs.keys()) if (!ids.includes(id)) this.jobs.delete(id);
    return ids.flatMap((id) => {
      const rows = this.set.runs.list({ jobId: id });
      return rows.length === 0 ? [] : [this.job(id, rows, now)];
    });
  }

  private job(id: string, rows: RunRow[], now: number): JobMetric {
    // A run is final once its energy is sealed: between the end being recorded and the seal its last samples may
    // still be on their way.
    const final = (r: RunRow): boolean => r.status !== 'running' && r.energy !== null;
    const live = rows.filter((r) => !final(r));
    // A live run is read up to a settled time, as in MeteredEnergy, and no further than its process tree was last seen
    // alive: its end (known only when the client reports it, maybe late) then never falls inside a stretch already
    // counted, so the counter never needs a correction downwards.
    const settled = settledBefore(this.set.cfg, now);
    const target = live.length > 0
      ? Math.min(settled, ...live.map((r) => this.set.runs.lastProcSample(r.rid) ?? settled))
      : Math.max(...rows.map((r) => r.ended_at ?? r.started_at));
    const spans = deviceSpans(rows, this.set.runs, target);
    const key = rows.map((r) => `${r.rid}:${final(r) ? r.ended_at : ''}:${this.set.runs.devices(r.rid).map((d) => d.id).join('.')}`).join(',');
    let acc = this.jobs.get(id);
    if (!acc || acc.key !== key) {
      acc = { key, until: Math.min(...rows.map((r) => r.started_at)), gpuJ: 0, reported: acc?.reported ?? 0 };
      this.jobs.set(id, acc);
    }
    if (target > acc.until) {
      acc.gpuJ += gpuEnergyWithin(this.set.samples, spans, acc.until, target, jobMaxGapMs(this.set.cfg, rows));
      acc.until = target;
    }
    const parts = rows.map((r) => {
      const e = final(r) ? r.energy : this.metered.run(r, now);
      const totalJ = e === null ? 0 : e.gpuJ + e.ramJ;
      return { running: !final(r), totalJ, ramJ: e?.ramJ ?? 0, projection: r.analysis?.projection ?? null };
    });
    acc.reported = Math.max(acc.reported, acc.gpuJ + parts.reduce((a, p) => a + p.ramJ, 0));
    return { id, energyJ: acc.reported, projection: jobProjection(parts, acc.reported) };
  }
}
