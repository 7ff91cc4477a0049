import type { Logger } from 'pino';
import { dropOutcome, pendingOutcomes } from '../runs/outcomes.js';
import type { RunStore } from '../store/runs.js';
import type { Recorder } from './recorder.js';

/**
 * Applies the outcomes clients left on disk because no daemon answered when their command ended: the run takes the
 * client's exit code and end, as if the finish had arrived (also over a run this daemon marked interrupted).
 */
export async function applyOutcomes(home: string, runs: RunStore, recorder: Recorder, log: Logger): Promise<number> {
  let applied = 0;
  for (const o of pendingOutcomes(home)) {
    const run = runs.byId(o.runId);
    try {
      const open = run?.status === 'running' || (run?.status === 'interrupted' && runs.events(run.rid, 'outcome_reported').length === 0);
      if (run && open) {
        await recorder.finish(run, { exitCode: o.exitCode, signal: o.signal, endedAt: Math.max(o.endedAt, run.started_at) });
        runs.addEvent(run.rid, 'outcome_from_file', { reason: 'the client could not reach a daemon when the command ended' }, o.endedAt);
        applied++;
        log.warn({ run: o.runId, exitCode: o.exitCode }, 'recorded the outcome a client left on disk');
      }
      dropOutcome(home, o.runId);
    } catch (err) {
      log.error({ err, run: o.runId }, 'could not apply a saved outcome; kept for the next try');
    }
  }
  return applied;
}
