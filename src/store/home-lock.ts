import Database from 'better-sqlite3';

/**
 * An exclusive lock the kernel holds for this process (SQLite's POSIX record lock on an empty file): it cannot be
 * stolen by a racing process and vanishes with the process, even after kill -9, so no stale-lock takeover is needed.
 * Returns the release function, or null when another live process holds it.
 */
export function holdExclusive(path: string): (() => void) | null {
  const db = new Database(path, { timeout: 0 });
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
