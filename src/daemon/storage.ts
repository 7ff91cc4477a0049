import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Scheduler, TimerHandle } from '../platform/clock.js';
import type { SampleStore } from '../store/samples.js';

const FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

/** Errors that mean "no room to write", from SQLite or the OS. */
export function isDiskFull(err: unknown): boolean {
  return FULL.has((err as { code?: string } | null)?.code ?? '');
}

/** Errors that mean the disk refuses writes: no room, or an I/O error (a file size limit, a failing device). */
export function isWriteFailure(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return FULL.has(code) || code === 'EFBIG' || code === 'EIO' || code.startsWith('SQLITE_IOERR');
}

export interface StorageHealth {
  state: 'ok' | 'full' | 'failing';
  message: string | null;
  since: number | null;
}

export interface StorageDeps {
  home: string;
  log: Logger;
  samples: Pick<SampleStore, 'held' | 'pending' | 'rowsLost' | 'onFlushError'>;
  scheduler: Scheduler;
  now(): number;
  /** Free bytes on the home's file system (statfs by default). */
  freeBytes?(home: string): number;
  reserveBytes?: number;
  checkMs?: number;
  /** Writing resumed after a full disk: runs that ended meanwhile are sealed again with their held samples. */
  onResume?(fullSince: number): void;
}

/** Free space below which the disk counts as full before SQLite fails (the WAL grows by pages). */
const LOW_WATER = 256 * 1024;

/**
 * Keeps the daemon useful on a full disk: a reserve file is set aside at start; when a write fails for lack of room
 * the reserve is given back and sample writes are held (rows wait in a bounded queue), so that the runs' own records
 * (finish, exit code, energy) still fit. Writing resumes once the disk has room for the reserve again.
 */
export class StorageGuard {
  private readonly reserve: string;
  private readonly reserveBytes: number;
  private timer: TimerHandle | null = null;
  state: StorageHealth = { state: 'ok', message: null, since: null };

  constructor(private readonly d: StorageDeps) {
    this.reserve = join(d.home, 'space.reserve');
    this.reserveBytes = d.reserveBytes ?? 1048576;
  }

  /** Sets the reserve aside (best effort: without room for it the daemon runs without one). */
  start(): void {
    this.makeReserve();
    this.d.samples.onFlushError = (err) => this.noteError(err);
    this.timer = this.d.scheduler.setInterval(() => this.check(), this.d.checkMs ?? 2000);
  }

  private makeReserve(): boolean {
    try {
      writeFileSync(this.reserve, Buffer.alloc(this.reserveBytes), { mode: 0o600 });
      return true;
    } catch {
      this.dropReserve();
      return false;
    }
  }

  /** Gives the reserve's room back; a home that refuses even that (permissions) only costs the reserve. */
  private dropReserve(): void {
    try {
      rmSync(this.reserve, { force: true });
    } catch {
      /* nothing to give back */
    }
  }

  private free(): number {
    if (this.d.freeBytes) return this.d.freeBytes(this.d.home);
    const s = statfsSync(this.d.home);
    return s.bavail * s.bsize;
  }

  /** A write failed: when for lack of room, hold sample writes and free the reserve. True when it was that. */
  noteError(err: unknown): boolean {
    if (!isWriteFailure(err)) return false;
    if (this.state.state !== 'ok') return true;
    this.dropReserve();
    this.d.samples.held = true;
    const full = isDiskFull(err);
    const message = `the disk holding ${this.d.home} ${full ? 'is full' : `refuses writes (${(err as Error).message})`}: ` +
      'samples are held in memory (up to a bound, then dropped) until it takes writes again';
    this.state = { state: full ? 'full' : 'failing', message, since: this.d.now() };
    this.d.log.error({ err }, message);
    return true;
  }

  /**
   * A write the records need outside a request (a device row, a run's devices): checked like a request's, and when
   * it still fails for lack of room, the reserve is given back (samples held) and it is tried once more. `fn` must be
   * one statement or one transaction, so that a failed try left nothing behind.
   */
  write<T>(fn: () => T): T {
    this.check();
    try {
      return fn();
    } catch (err) {
      if (!this.noteError(err)) throw err;
      return fn();
    }
  }

  /**
   * Every few seconds: a disk about to fill holds sample writes before SQLite fails (so the next run's registration
   * still fits); a full one that has room again (the reserve and 1 MiB more) takes the reserve back and writes on.
   */
  check(): void {
    let free: number;
    try {
      free = this.free();
    } catch {
      return;
    }
    if (this.state.state === 'ok') {
      if (free < LOW_WATER) this.noteError({ code: 'ENOSPC', message: `only ${free} bytes free` });
      return;
    }
    if (free < this.reserveBytes + 1048576 || !this.makeReserve()) return;
    const since = this.state.since ?? this.d.now();
    this.d.samples.held = false;
    this.d.log.warn({ rowsLost: this.d.samples.rowsLost, fullSince: since }, 'the disk has room again: writing samples');
    this.state = { state: 'ok', message: null, since: null };
    this.d.onResume?.(since);
  }

  close(): void {
    this.d.scheduler.clear(this.timer);
    this.timer = null;
  }
}
