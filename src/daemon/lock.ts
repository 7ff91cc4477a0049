import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homeFiles } from '../platform/paths.js';
import { ioError, ProfilerError } from '../errors.js';
import { holdExclusive } from '../store/home-lock.js';

/** What the lock file tells clients about the daemon holding PROFILER_HOME. */
export interface LockInfo {
  pid: number;
  port: number;
  host: string;
  startedAt: number;
}

/** The lock file's contents, or null when there is none (or it is unreadable). */
export function readLockInfo(home: string): LockInfo | null {
  try {
    const j = JSON.parse(readFileSync(homeFiles(home).lock, 'utf8')) as Partial<LockInfo>;
    const pid = Number(j.pid);
    return Number.isInteger(pid) && pid > 0 ? { pid, port: Number(j.port), host: String(j.host), startedAt: Number(j.startedAt) } : null;
  } catch {
    return null;
  }
}

/**
 * One daemon per PROFILER_HOME. The mutual exclusion is a kernel lock (`daemon.lock.db`), released by the kernel
 * when the process ends however it ends; `daemon.lock` only tells clients who holds it (pid, port), written by the
 * holder with a rename so that a reader never sees half a file.
 */
export function acquireLock(home: string, info: { port: number; host: string }): () => void {
  const files = homeFiles(home);
  let release: (() => void) | null;
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    release = holdExclusive(files.kernelLock);
  } catch (err) {
    throw ioError(`cannot take the daemon lock in ${home}: ${(err as Error).message}`, { cause: err });
  }
  if (release === null) {
    const owner = readLockInfo(home);
    throw new ProfilerError('PROF_ERR_DAEMON_RUNNING', `a daemon${owner ? ` (pid ${owner.pid}, port ${owner.port})` : ''} already runs for ${home}`, 409);
  }
  const tmp = `${files.lock}.${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, ...info, startedAt: Date.now() }), { mode: 0o600 });
    renameSync(tmp, files.lock);
  } catch (err) {
    rmSync(tmp, { force: true });
    release();
    throw ioError(`cannot write the daemon lock ${files.lock}: ${(err as Error).message}`, { cause: err });
  }
  const held = release;
  return () => {
    if (readLockInfo(home)?.pid === process.pid) rmSync(files.lock, { force: true });
    held();
  };
}
