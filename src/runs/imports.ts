import { pidAlive } from '../platform/process.js';
import type { ImportStore } from '../store/imports.js';

/** Rows one removal transaction deletes: a few ms of the write lock. */
const PURGE_ROWS = 5000;
/** Pause between two removal transactions, so that a live daemon's writes get the lock in between. */
const PAUSE_MS = 5;

export interface RemoveOptions {
  /** Checked before each transaction: true stops the removal (the database is about to close). */
  stop?: () => boolean;
  /** Pauses on unref'd timers: a background sweep never keeps a short command alive. */
  background?: boolean;
}

const pause = (background: boolean): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, PAUSE_MS);
    if (background) t.unref();
  });

/** Removes everything unfinished import `rid` wrote, a short transaction at a time; false when stopped first. */
export async function removeImport(imports: ImportStore, rid: number, opts: RemoveOptions = {}): Promise<boolean> {
  for (;;) {
    if (opts.stop?.()) return false;
    if (imports.purgeStep(rid, PURGE_ROWS)) {
      imports.forget(rid);
      return true;
    }
    await pause(opts.background ?? false);
  }
}

/** Removes the hidden runs of imports whose process is gone (killed mid-way); returns how many. */
export async function sweepImports(imports: ImportStore, opts: RemoveOptions = {}): Promise<number> {
  let n = 0;
  for (const h of imports.hidden()) {
    if (pidAlive(h.pid)) continue;
    if (!(await removeImport(imports, h.rid, opts))) break;
    n++;
  }
  return n;
}
