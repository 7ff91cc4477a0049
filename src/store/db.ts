import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { packageRoot } from '../platform/paths.js';
import { migrate } from './migrate.js';

export type DB = Database.Database;

/** Opens (creating 0600) the profiler database in WAL mode and brings its schema up to date. */
export function openDatabase(path: string, opts: { readonly?: boolean } = {}): DB {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (!opts.readonly) {
      closeSync(openSync(path, 'a', 0o600));
      chmodSync(path, 0o600);
    }
  }
  const db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, join(packageRoot(), 'migrations'));
  }
  return db;
}

/**
 * Prepared statements compiled once per SQL text: the API's hot routes run the same few queries at every request,
 * and preparing one costs more than running it.
 */
export function statementCache(db: DB): (sql: string) => Database.Statement<unknown[]> {
  const stmts = new Map<string, Database.Statement<unknown[]>>();
  return (sql) => {
    let st = stmts.get(sql);
    if (!st) stmts.set(sql, (st = db.prepare(sql)));
    return st;
  };
}
