import { openSync, readFileSync, closeSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { daemonStart, daemonStop, ioError } from '../errors.js';
import { spawnProcess } from '../platform/exec.js';
import { homeFiles } from '../platform/paths.js';
import { DAEMON_NODE_FLAGS } from '../platform/daemon-flags.js';
import { pidAlive } from '../platform/process.js';
import { Client } from './client.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The pid recorded in the daemon lock, if the lock exists. */
export function lockedPid(cfg: Config): number | null {
  try {
    const pid = Number(JSON.parse(readFileSync(homeFiles(cfg.home).lock, 'utf8')).pid);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
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

/** Starts `profiler daemon run` detached (logs to PROFILER_HOME/daemon.log) unless one answers; waits for it. */
export async function ensureDaemon(cfg: Config): Promise<{ started: boolean; client: Client }> {
  const client = new Client(cfg);
  if (await client.health(500)) return { started: false, client };
  const out = openLog(cfg.home);
  const cli = fileURLToPath(new URL('./index.js', import.meta.url));
  const child = spawnProcess(process.execPath, [...DAEMON_NODE_FLAGS, cli, 'daemon', 'run'], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, PROFILER_HOME: cfg.home, PROFILER_PORT: String(cfg.port) },
  });
  closeSync(out);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.unref();
  const deadline = Date.now() + cfg.daemonStartTimeoutMs;
  while (Date.now() < deadline) {
    if (await client.health(300)) return { started: true, client };
    if (exited !== null && exited !== 0) {
      throw daemonStart(`the daemon exited with status ${exited}; see ${homeFiles(cfg.home).log}`);
    }
    await sleep(40);
  }
  throw daemonStart(`the daemon did not answer within ${cfg.daemonStartTimeoutMs} ms; see ${homeFiles(cfg.home).log}`);
}

/** Asks the daemon to stop (SIGTERM to the pid in its lock) and waits for it to go. */
export async function stopDaemon(cfg: Config, timeoutMs = 10_000): Promise<'stopped' | 'not running'> {
  const pid = lockedPid(cfg);
  if (pid === null || !pidAlive(pid)) return 'not running';
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
