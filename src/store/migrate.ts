import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';

/** Applies migrations/NNNN_*.sql above PRAGMA user_version, each in its own transaction. */
export function migrate(db: Database, dir: string): number {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_.*\.sql$/.test(f))
    .sort();
  let version = db.pragma('user_version', { simple: true }) as number;
  for (const file of files) {
    const n = Number(file.slice(0, 4));
    if (n <= version) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    // BEGIN IMMEDIATE, the version read again under the lock: two processes opening a new home at once (a daemon
    // and an import) apply each migration once, and the second one waits instead of failing.
    const applied = db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) >= n) return false;
      db.exec(sql);
      db.pragma(`user_version = ${n}`);
      return true;
    }).immediate();
    if (applied) version = n;
    else version = db.pragma('user_version', { simple: true }) as number;
  }
  return version;
}
