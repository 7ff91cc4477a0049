import { closeSync, mkdirSync, openSync, readSync, fstatSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { daemonStart, daemonStop, ioError } from '../errors.js';
import { readLockInfo, type LockInfo } from '../daemon/lock.js';
import { spawnProcess } from '../platform/exec.js';
import { homeFiles } from '../platform/paths.js';
import { DAEMON_NODE_FLAGS, daemonEnv } from '../platform/daemon-flags.js';
import { pidAlive } from '../platform/process.js';
import { holdExclusive } from '../store/home-lock.js';
import { Client } from './client.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The live daemon named by the lock file (its pid alive), else null: the cheap check, safe while daemons start. */
export function lockHolder(cfg: Pick<Config, 'home'>): LockInfo | null {
  const info = readLockInfo(cfg.home);
  return info !== null && pidAlive(info.pid) ? info : null;
}

/** The pid recorded in the daemon lock when its process lives. */
export function lockedPid(cfg: Pick<Config, 'home'>): number | null {
  return lockHolder(cfg)?.pid ?? null;
}

/**
 * Whether a daemon holds PROFILER_HOME's kernel lock, asked of the kernel (a pid in a stale lock file may have been
 * reused by another program). Takes the lock for an instant: for user commands (`stop`, `status`), not start-up.
 */
export function lockHeld(cfg: Pick<Config, 'home'>): boolean {
  try {
    const release = holdExclusive(homeFiles(cfg.home).kernelLock);
    if (release === null) return true;
    release();
    return false;
  } catch {
    return lockHolder(cfg) !== null; // the home is unreadable: fall back on the pid
  }
}

/** Creates PROFILER_HOME and opens the daemon's log for appending; PROF_ERR_IO when the home cannot be written. */
function openLog(home: string): number {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    return openSync(homeFiles(home).log, 'a', 0o600);
  } catch (err) {
    throw ioError(`cannot write the daemon log in ${home}: ${(err as Error).message}`, { cause: err });
  }
}

/** The last error the daemon logged ("listen EADDRINUSE …"), to say why it did not start. */
export function lastLoggedError(home: string): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(homeFiles(home).log, 'r');
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 16_384));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    const lines = buf.toString('utf8').split('\n').reverse();
    for (const line of lines) {
      try {
        const j = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((j.level ?? 0) >= 50) return j.err?.message ?? j.msg ?? null;
      } catch {
        /* a partial or foreign line */
      }
    }
    return null;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * The daemon answering for cfg, started detached (logging to PROFILER_HOME/daemon.log) when none answers. Clients
 * starting at once converge: the losers' daemons exit on the held lock and their clients wait for the winner.
 */
export async function ensureDaemon(cfg: Config): Promise<{ started: boolean; client: Client }> {
  const client = new Client(cfg);
  if (await client.health(500)) return { started: false, client };
  const deadline = Date.now() + cfg.daemonStartTimeoutMs;
  const holder = lockHolder(cfg);
  if (holder !== null && holder.port !== cfg.port) {
    throw daemonStart(`a daemon (pid ${holder.pid}) already holds ${cfg.home} on port ${holder.port}, not ${cfg.port}: ` +
      `set PROFILER_PORT=${holder.port}, or stop it with "profiler daemon stop"`);
  }
  let exited: number | null = null;
  if (holder === null) {
    const out = openLog(cfg.home);
    const cli = fileURLToPath(new URL('./index.js', import.meta.url));
    const child = spawnProcess(process.execPath, [...DAEMON_NODE_FLAGS, cli, 'daemon', 'run'], {
      detached: true,
      stdio: ['ignore', out, out],
      env: daemonEnv({ ...process.env, PROFILER_HOME: cfg.home, PROFILER_PORT: String(cfg.port) }),
    });
    closeSync(out);
    child.on('exit', (code) => (exited = code ?? 1));
    child.unref();
  }
  while (Date.now() < deadline) {
    if (await client.health(300)) return { started: holder === null && exited === null, client };
    // Ours lost the lock to another starting daemon: that one will answer.
    if (exited !== null && exited !== 0 && lockHolder(cfg) === null) {
      const why = lastLoggedError(cfg.home);
      throw daemonStart(why ? `${why} (the daemon exited with status ${exited}; see ${homeFiles(cfg.home).log})`
        : `the daemon exited with status ${exited}; see ${homeFiles(cfg.home).log}`);
    }
    await sleep(40);
  }
  const stuck = lockHolder(cfg);
  throw daemonStart(stuck
    ? `the daemon (pid ${stuck.pid}) holds ${cfg.home} but did not answer within ${cfg.daemonStartTimeoutMs} ms; see ${homeFiles(cfg.home).log}`
    : `the daemon did not answer within ${cfg.daemonStartTimeoutMs} ms; see ${homeFiles(cfg.home).log}`);
}

/** Asks the daemon to stop (SIGTERM to the pid in its lock) and waits for it to go. */
export async function stopDaemon(cfg: Config, timeoutMs = 10_000): Promise<'stopped' | 'not running'> {
  const pid = lockedPid(cfg);
  if (pid === null || !lockHeld(cfg)) return 'not running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    // ESRCH: it exited between the check and the signal, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'stopped';
    throw daemonStop(`cannot signal the daemon (pid ${pid}): ${(err as Error).message}`, { cause: err });
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return 'stopped';
    await sleep(50);
  }
  throw daemonStop(`daemon (pid ${pid}) did not stop within ${timeoutMs} ms`);
}
