import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/** Loaded on first use: `profiler run` imports this module but takes the lock only when it starts a daemon (~7 ms). */
let sqlite: typeof BetterSqlite3 | null = null;

/**
 * An exclusive lock the kernel holds for this process (SQLite's POSIX record lock on an empty file): it cannot be
 * stolen by a racing process and vanishes with the process, even after kill -9, so no stale-lock takeover is needed.
 * Returns the release function, or null when another live process holds it.
 */
export function holdExclusive(path: string): (() => void) | null {
  sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  const db = new sqlite(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return null;
    throw err;
  }
  return () => {
    if (db.open) db.close();
  };
}
