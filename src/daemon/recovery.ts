import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { DB } from '../store/db.js';
import type { RunRow, RunStore } from '../store/runs.js';
import type { Recorder } from './recorder.js';

/** Whether a process lives; a zombie (dead, not yet reaped by a parent that ignores it) counts as dead. */
export function pidAlive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs (or not readable): trust kill(0)
  }
}

/** The last time anything was recorded for a run (its process samples, epoch marks or GPU samples). */
export function lastDataAt(db: DB, run: RunRow): number {
  const r = db
    .prepare(
      `SELECT max(coalesce((SELECT max(t) FROM proc_samples WHERE rid = @rid), 0),
                  coalesce((SELECT max(coalesce(ended_at, started_at)) FROM epochs WHERE rid = @rid), 0),
                  coalesce((SELECT max(g.t) FROM gpu_samples g JOIN run_devices rd ON rd.dev = g.dev
                            WHERE rd.rid = @rid AND g.t >= @start), 0), @start) AS t`,
    )
    .get({ rid: run.rid, start: run.started_at }) as { t: number };
  return r.t;
}

/**
 * At daemon start, runs left "running" by a daemon that died: resumed when their command still lives (the client
 * will finish them), else marked interrupted at the end of their data.
 */
export function recoverRuns(deps: {
  db: DB;
  runs: RunStore;
  recorder: Recorder;
  log: Logger;
  resume(run: RunRow): void;
}): void {
  for (const run of deps.runs.list({ status: 'running' })) {
    if (pidAlive(run.client_pid)) {
      deps.runs.addEvent(run.rid, 'resumed', { reason: 'daemon restarted while the run was going on' });
      deps.log.warn({ run: run.id }, 'resuming a run left by a previous daemon');
      deps.resume(run);
    } else {
      const at = lastDataAt(deps.db, run);
      deps.log.warn({ run: run.id }, 'marking a run interrupted: its daemon died and its command is gone');
      deps.recorder.interrupt(run, at);
    }
  }
}
