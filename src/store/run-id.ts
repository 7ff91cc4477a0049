import { randomBytes } from 'node:crypto';

// Apart from the run store so that `profiler run` and the outcome files name runs and jobs without loading SQLite.

/** Sortable, short, prefix-friendly: 9 base-36 chars of time then 4 random. */
export const RUN_ID_RE = /^[0-9a-z]{6,40}$/;

export function newRunId(now = Date.now()): string {
  return now.toString(36).padStart(9, '0') + randomBytes(3).toString('hex').slice(0, 4);
}

/** A job id: what `--job`, SLURM and torchelastic give, short enough for a Prometheus label. */
export const JOB_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,127}$/;
