import { conflict } from '../errors.js';
import type { GpuSample } from '../samplers/types.js';
import { statementCache, type DB } from './db.js';
import type { SampleStore } from './samples.js';

/** An unfinished import: its hidden run and the process writing it. */
export interface HiddenImport {
  rid: number;
  pid: number;
}

/** Where this import stands on one device's time line. */
interface Track {
  dev: number;
  /** The stretch being extended: [from, to] holds only samples this import inserted (null: none open). */
  from: number | null;
  to: number;
  /** The time line is examined up to here (the last timestamp written). */
  seen: number;
}

/** Tables keyed by run that an import fills, with the column that orders their rows within a run. */
const RUN_TABLES = [['proc_samples', 't'], ['epochs', 'epoch'], ['events', 'id'], ['run_devices', 'dev']] as const;

/**
 * The bookkeeping of imports that write in short transactions: the hidden run, the exact stretches of each device's
 * samples the import inserted (samples stored before stay shared and are never removed), the removal of an
 * unfinished import a bounded chunk at a time, and the reveal.
 */
export class ImportStore {
  private readonly q;
  private readonly tracks = new Map<number, Map<string, Track>>();
  private readonly tx;

  constructor(private readonly db: DB, private readonly samples: SampleStore) {
    this.q = statementCache(db);
    this.tx = db.transaction((fn: () => unknown) => fn());
  }

  /** Runs `fn` in one write transaction, taking the lock up front (BEGIN IMMEDIATE): keep it short. */
  write<T>(fn: () => T): T {
    return this.tx.immediate(fn) as T;
  }

  hidden(): HiddenImport[] {
    return this.q('SELECT rid, import_pid AS pid FROM runs WHERE import_pid IS NOT NULL ORDER BY rid').all() as HiddenImport[];
  }

  /**
   * Stores one batch of GPU samples of run `rid` in one transaction and tracks what it inserted; returns how many
   * rows were stored already (the same log imported before) and are shared, not owned.
   */
  writeGpu(rid: number, rows: readonly GpuSample[]): number {
    const byDevice = new Map<string, number[]>();
    for (const s of rows) {
      const ts = byDevice.get(s.uuid);
      if (ts) ts.push(s.t);
      else byDevice.set(s.uuid, [s.t]);
    }
    return this.write(() => {
      this.mustBeHidden(rid);
      let shared = 0;
      for (const [uuid, ts] of byDevice) shared += this.track(rid, uuid, ts);
      this.samples.addGpu(rows);
      this.samples.flush();
      return shared;
    });
  }

  /** Walks one device's new timestamps (in order) against the samples stored already between them. */
  private track(rid: number, uuid: string, ts: number[]): number {
    let tracks = this.tracks.get(rid);
    if (!tracks) this.tracks.set(rid, (tracks = new Map()));
    let tr = tracks.get(uuid);
    if (!tr) {
      const created = this.q('INSERT INTO devices (uuid, updated_at) VALUES (?, ?) ON CONFLICT (uuid) DO NOTHING').run(uuid, Date.now()).changes;
      const dev = (this.q('SELECT id FROM devices WHERE uuid = ?').get(uuid) as { id: number }).id;
      this.q('INSERT OR IGNORE INTO import_devices (rid, dev, created) VALUES (?, ?, ?)').run(rid, dev, created);
      tracks.set(uuid, (tr = { dev, from: null, to: 0, seen: (ts[0] as number) - 1 }));
    }
    const hi = ts[ts.length - 1] as number;
    const stored = this.q('SELECT t FROM gpu_samples WHERE dev = ? AND t > ? AND t <= ? ORDER BY t').pluck().all(tr.dev, tr.seen, hi) as number[];
    if (stored.length > 0) this.refuseIfImporting(rid, tr.dev, uuid, stored[0] as number, stored[stored.length - 1] as number);
    let shared = 0;
    let e = 0;
    for (const t of ts) {
      if (t <= tr.seen) continue; // a repeated timestamp: its first row decided
      const before = e;
      while (e < stored.length && (stored[e] as number) < t) e++;
      const between = e > before;
      const taken = e < stored.length && stored[e] === t;
      if (between || taken) this.close(rid, tr);
      if (taken) {
        shared++;
        e++;
      } else if (tr.from === null) {
        tr.from = tr.to = t;
      } else {
        tr.to = t;
      }
      tr.seen = t;
    }
    if (tr.from !== null) this.saveRange(rid, tr);
    return shared;
  }

  private close(rid: number, tr: Track): void {
    if (tr.from !== null) this.saveRange(rid, tr);
    tr.from = null;
  }

  private saveRange(rid: number, tr: Track): void {
    this.q(`INSERT INTO import_ranges (rid, dev, t_from, t_to) VALUES (?, ?, ?, ?)
            ON CONFLICT (rid, dev, t_from) DO UPDATE SET t_to = excluded.t_to`).run(rid, tr.dev, tr.from, tr.to);
  }

  /** Samples another unfinished import owns may vanish if it fails: sharing them is refused. */
  private refuseIfImporting(rid: number, dev: number, uuid: string, from: number, to: number): void {
    const other = this.q(
      `SELECT r.import_pid AS pid FROM import_ranges w JOIN runs r ON r.rid = w.rid
       WHERE w.dev = ? AND w.rid != ? AND w.t_from <= ? AND w.t_to >= ? AND r.import_pid IS NOT NULL LIMIT 1`,
    ).get(dev, rid, to, from) as { pid: number } | undefined;
    if (other) throw conflict(`GPU ${uuid}: another import (pid ${other.pid}) is writing samples of the same time; try again once it is done`);
  }

  /** The hidden run's identity once its first sample is known. */
  settle(rid: number, r: { id: string; startedAt: number; sampleMs: number }): void {
    this.q('UPDATE runs SET id = ?, started_at = ?, sample_ms = ? WHERE rid = ? AND import_pid IS NOT NULL').run(r.id, r.startedAt, r.sampleMs, rid);
  }

  /** Visible runs over the same devices and time as run `rid`: those whose stored samples it shares. */
  sharedWith(rid: number, from: number, to: number): string[] {
    return this.q(
      `SELECT DISTINCT r.id FROM run_devices mine JOIN run_devices rd ON rd.dev = mine.dev AND rd.rid != mine.rid
       JOIN runs r ON r.rid = rd.rid WHERE mine.rid = ? AND r.import_pid IS NULL AND r.started_at <= ? AND coalesce(r.ended_at, ?) >= ?
       ORDER BY r.started_at`,
    ).pluck().all(rid, to, to, from) as string[];
  }

  /** A sweep that took this import's process for dead (another pid namespace) removed its run: stop loudly. */
  private mustBeHidden(rid: number): void {
    if (this.q('SELECT 1 FROM runs WHERE rid = ? AND import_pid IS NOT NULL').get(rid) === undefined) {
      throw conflict('the run being imported was removed meanwhile (by a process that could not see this one)');
    }
  }

  /** Makes the run visible and drops its bookkeeping; call inside the final write(). */
  release(rid: number): void {
    this.mustBeHidden(rid);
    this.q('UPDATE runs SET import_pid = NULL WHERE rid = ?').run(rid);
    this.q('DELETE FROM import_ranges WHERE rid = ?').run(rid);
    this.q('DELETE FROM import_devices WHERE rid = ?').run(rid);
    this.forget(rid);
  }

  /** Drops the in-memory tracking of run `rid` (after a release or a failure). */
  forget(rid: number): void {
    this.tracks.delete(rid);
  }

  /**
   * Removes at most `maxRows` rows of unfinished import `rid` in one transaction, samples first and its run row last
   * (so a removal cut short stays findable); true once nothing of it is left.
   */
  purgeStep(rid: number, maxRows: number): boolean {
    return this.write(() => {
      const run = this.q('SELECT import_pid AS pid FROM runs WHERE rid = ?').get(rid) as { pid: number | null } | undefined;
      if (run?.pid === null) return true; // a visible run is never removed here
      const ranges = this.q('SELECT dev, t_from, t_to FROM import_ranges WHERE rid = ? LIMIT ?').all(rid, maxRows) as
        { dev: number; t_from: number; t_to: number }[];
      let budget = maxRows;
      for (const r of ranges) {
        if (budget <= 0) break;
        const cut = this.q('SELECT t FROM gpu_samples WHERE dev = ? AND t >= ? AND t <= ? ORDER BY t LIMIT 1 OFFSET ?').pluck()
          .get(r.dev, r.t_from, r.t_to, budget - 1) as number | undefined;
        const end = cut ?? r.t_to;
        budget -= this.q('DELETE FROM gpu_samples WHERE dev = ? AND t >= ? AND t <= ?').run(r.dev, r.t_from, end).changes + 1;
        if (end >= r.t_to) this.q('DELETE FROM import_ranges WHERE rid = ? AND dev = ? AND t_from = ?').run(rid, r.dev, r.t_from);
        else this.q('UPDATE import_ranges SET t_from = ? WHERE rid = ? AND dev = ? AND t_from = ?').run(end + 1, rid, r.dev, r.t_from);
      }
      if (ranges.length > 0) return false;
      for (const [table, key] of RUN_TABLES) {
        const n = this.q(`DELETE FROM ${table} WHERE rid = ? AND ${key} <= (SELECT max(${key}) FROM
          (SELECT ${key} FROM ${table} WHERE rid = ? ORDER BY ${key} LIMIT ?))`).run(rid, rid, maxRows).changes;
        if (n > 0) return false;
      }
      this.q(
        `DELETE FROM devices WHERE id IN (SELECT dev FROM import_devices WHERE rid = ? AND created = 1)
         AND NOT EXISTS (SELECT 1 FROM gpu_samples g WHERE g.dev = devices.id)
         AND NOT EXISTS (SELECT 1 FROM run_devices rd WHERE rd.dev = devices.id)
         AND NOT EXISTS (SELECT 1 FROM import_devices o WHERE o.dev = devices.id AND o.rid != ?)`,
      ).run(rid, rid);
      this.q('DELETE FROM import_devices WHERE rid = ?').run(rid);
      this.q('DELETE FROM runs WHERE rid = ? AND import_pid IS NOT NULL').run(rid);
      return true;
    });
  }
}
