import type { Logger } from 'pino';
import { pidAlive } from '../platform/process.js';
import type { RunSet } from '../runs/open.js';
import type { RunRow } from '../store/runs.js';
import type { Recorder } from './recorder.js';

/**
 * At daemon start, runs left "running" by a daemon that died: resumed when their command still lives (the client
 * will finish them), else marked interrupted at the end of their data.
 */
export function recoverRuns(deps: {
  set: Pick<RunSet, 'reader' | 'runs'>;
  recorder: Recorder;
  log: Logger;
  resume(run: RunRow): void;
}): void {
  for (const run of deps.set.runs.list({ status: 'running' })) {
    if (pidAlive(run.client_pid)) {
      deps.set.runs.addEvent(run.rid, 'resumed', { reason: 'daemon restarted while the run was going on' });
      deps.log.warn({ run: run.id }, 'resuming a run left by a previous daemon');
      deps.resume(run);
    } else {
      const at = deps.set.reader.lastDataAt(run.rid, run.started_at);
      deps.log.warn({ run: run.id }, 'marking a run interrupted: its daemon died and its command is gone');
      deps.recorder.interrupt(run, at);
    }
  }
}
