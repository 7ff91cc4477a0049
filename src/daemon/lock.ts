import { openSync, readFileSync, rmSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { homeFiles } from '../platform/paths.js';
import { ioError, ProfilerError } from '../errors.js';
import { pidAlive } from '../platform/process.js';

/** One daemon per PROFILER_HOME: an exclusive lock file holding the owner's pid; a dead owner's lock is taken over. */
export function acquireLock(home: string, info: { port: number; host: string }): () => void {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError(`cannot create PROFILER_HOME ${home}: ${(err as Error).message}`, { cause: err });
  }
  const path = homeFiles(home).lock;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, ...info, startedAt: Date.now() }));
      closeSync(fd);
      return () => {
        try {
          const owner = JSON.parse(readFileSync(path, 'utf8')) as { pid?: number };
          if (owner.pid === process.pid) rmSync(path, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw ioError(`cannot write the daemon lock ${path}: ${(err as Error).message}`, { cause: err });
      }
      let pid: number | null = null;
      try {
        pid = Number((JSON.parse(readFileSync(path, 'utf8')) as { pid?: number }).pid) || null;
      } catch {
        /* unreadable lock: treat as stale */
      }
      if (pid !== null && pid !== process.pid && pidAlive(pid)) {
        throw new ProfilerError('PROF_ERR_DAEMON_RUNNING', `a daemon (pid ${pid}) already runs for ${home}`, 409);
      }
      rmSync(path, { force: true });
    }
  }
  throw new ProfilerError('PROF_ERR_LOCK', `cannot take the daemon lock ${path}`, 500);
}
