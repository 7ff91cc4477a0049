import { conflict, notFound } from '../errors.js';
import type { DB } from './db.js';

/** What removing a run deleted. */
export interface Removed {
  gpuSamples: number;
  gpuEnergyReads: number;
  hostSamples: number;
  procSamples: number;
  epochs: number;
}

/** Another run (or an unfinished import) over the same device at sample time `x.t`: the sample is shared, it stays. */
const SHARED_ON_DEVICE = (x: string): string => `
  EXISTS (SELECT 1 FROM run_devices rd JOIN runs r ON r.rid = rd.rid
          WHERE rd.dev = ${x}.dev AND rd.rid != @rid AND r.started_at <= ${x}.t AND coalesce(r.ended_at, 9e15) >= ${x}.t)
  OR EXISTS (SELECT 1 FROM import_ranges w WHERE w.dev = ${x}.dev AND w.rid != @rid AND w.t_from <= ${x}.t AND w.t_to >= ${x}.t)`;

/**
 * Removes one run in one transaction: its row, epochs, events, process samples, and the GPU, NVML and host samples
 * of its devices over its time that no other run covers (samples stored once are shared by overlapping runs and
 * re-imports: those stay). A running run is refused unless `running` allows it.
 */
export function removeRun(db: DB, rid: number, opts: { running: boolean }): Removed {
  // BEGIN IMMEDIATE: it reads before it deletes, and a daemon's commit in between must not fail it.
  return db.transaction((): Removed => {
    const run = db.prepare('SELECT id, status, started_at AS s, coalesce(ended_at, started_at) AS e, import_pid AS pid FROM runs WHERE rid = ?')
      .get(rid) as { id: string; status: string; s: number; e: number; pid: number | null } | undefined;
    if (run === undefined || run.pid !== null) throw notFound(`run ${rid} is gone`);
    if (run.status === 'running' && !opts.running) throw conflict(`run ${run.id} is running: let it end first (or --force when no daemon records it)`);
    const p = { rid, s: run.s, e: run.e };
    const mine = '(SELECT dev FROM run_devices WHERE rid = @rid)';
    const gpuSamples = db.prepare(`DELETE FROM gpu_samples AS g WHERE dev IN ${mine} AND t >= @s AND t <= @e AND NOT (${SHARED_ON_DEVICE('g')})`).run(p).changes;
    const gpuEnergyReads = db.prepare(`DELETE FROM gpu_energy AS g WHERE dev IN ${mine} AND t >= @s AND t <= @e AND NOT (${SHARED_ON_DEVICE('g')})`).run(p).changes;
    const hostSamples = db.prepare(`DELETE FROM host_samples AS h WHERE t >= @s AND t <= @e AND NOT EXISTS
      (SELECT 1 FROM runs r WHERE r.rid != @rid AND r.started_at <= h.t AND coalesce(r.ended_at, 9e15) >= h.t)`).run(p).changes;
    const procSamples = db.prepare('DELETE FROM proc_samples WHERE rid = ?').run(rid).changes;
    const epochs = db.prepare('DELETE FROM epochs WHERE rid = ?').run(rid).changes;
    for (const table of ['events', 'run_devices', 'import_ranges', 'import_devices']) db.prepare(`DELETE FROM ${table} WHERE rid = ?`).run(rid);
    db.prepare('DELETE FROM runs WHERE rid = ?').run(rid);
    return { gpuSamples, gpuEnergyReads, hostSamples, procSamples, epochs };
  }).immediate();
}
