import pino from 'pino';
import type { Config } from '../../config/schema.js';
import { acquireLock } from '../../daemon/lock.js';
import { daemonStart, ProfilerError, usage } from '../../errors.js';
import { homeFiles } from '../../platform/paths.js';
import { LogFile } from '../../platform/log-file.js';
import { Client } from '../client.js';
import { ensureDaemon, lockHeld, lockHolder, stopDaemon } from '../daemon-control.js';

export const DAEMON_HELP = `Usage: profiler daemon start | stop | status [--json] | run

The daemon samples the GPUs and records runs; \`profiler run\` starts it when none answers.
  start    start it in the background (logging to PROFILER_HOME/daemon.log); nothing when one answers
  stop     stop it (SIGTERM, then wait)
  status   whether it runs, on which port and pid, its GPU sampler; exit 3 when not running, 4 when a daemon
           holds PROFILER_HOME but does not answer on PROFILER_PORT (another port: it says which)
  run      run it in the foreground until SIGTERM or SIGINT

Options:
  --json       status (and start/stop) as JSON
  -h, --help   this help

Example:
  PROFILER_PORT=7461 profiler daemon start`;

/** The error a failed listen becomes: a port another program holds is named, with what to do. */
export function listenError(err: unknown, cfg: Pick<Config, 'host' | 'port'>): ProfilerError {
  if (err instanceof ProfilerError) return err;
  if ((err as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE') {
    return daemonStart(`port ${cfg.port} on ${cfg.host} is in use by another program (EADDRINUSE; not a daemon of this PROFILER_HOME): ` +
      'stop that program or set PROFILER_PORT to a free port'); // no cause: the log's message would repeat Node's
  }
  return daemonStart(`the daemon could not start: ${(err as Error).message}`, { cause: err });
}

/** `profiler daemon run`: the daemon in the foreground until SIGTERM/SIGINT, then a graceful stop. */
async function runForeground(cfg: Config): Promise<number> {
  const release = acquireLock(cfg.home, { port: cfg.port, host: cfg.host });
  const logFile = new LogFile(homeFiles(cfg.home).log);
  const logger = pino({ level: process.env.PROFILER_LOG_LEVEL ?? 'info', base: { pid: process.pid } }, logFile);
  // A bug or an I/O error nobody caught: log it where possible and exit (the kernel lock goes with the process);
  // clients restart a daemon and it resumes their runs. Never a half-alive daemon that answers nobody.
  const fatal = (err: unknown): void => {
    logger.fatal({ err }, 'daemon crashed');
    release();
    process.exit(70);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  let daemon;
  try {
    // Loaded here: `daemon start|stop|status` must not pay for the daemon's web stack.
    const { createDaemon } = await import('../../daemon/create-daemon.js');
    daemon = createDaemon({ config: cfg, logger });
    const addr = await daemon.listen();
    logger.info({ ...addr, home: cfg.home }, 'daemon listening');
  } catch (err) {
    release();
    const e = listenError(err, cfg);
    // The message the starting client reads back from the log (lastLoggedError).
    logger.error({ err: e }, 'daemon failed to start');
    throw e;
  }
  const d = daemon;
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ sig }, 'daemon stopping');
      d.close()
        .catch((err: unknown) => logger.error({ err }, 'error while stopping'))
        .finally(() => {
          release();
          logger.info('daemon stopped');
          logFile.close();
          resolve();
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => stop('SIGHUP'));
  });
  return 0;
}

/** No answer on our port: say whether a daemon holds the home anyway (on another port, or not answering). */
async function statusWithoutAnswer(cfg: Config, out: (human: string, obj: object) => void): Promise<number> {
  const holder = lockHolder(cfg);
  if (holder === null || !lockHeld(cfg)) {
    out(`daemon not running (home ${cfg.home})`, { running: false, home: cfg.home, lockPid: null });
    return 3;
  }
  if (holder.port !== cfg.port) {
    const other = await new Client({ ...cfg, port: holder.port }).health(1000);
    const state = other ? 'answers' : 'does not answer';
    out(`daemon (pid ${holder.pid}) runs for ${cfg.home} on port ${holder.port} (${state} there), not on ${cfg.port}: set PROFILER_PORT=${holder.port}`,
      { running: true, answering: other !== null, home: cfg.home, pid: holder.pid, port: holder.port, url: null });
    return 4;
  }
  out(`daemon (pid ${holder.pid}) holds ${cfg.home} but does not answer on port ${cfg.port}; see ${homeFiles(cfg.home).log}`,
    { running: true, answering: false, home: cfg.home, pid: holder.pid, port: holder.port, url: null });
  return 4;
}

export async function daemonCommand(cfg: Config, args: string[], json: boolean): Promise<number> {
  const sub = args[0];
  const out = (human: string, obj: object): void => {
    process.stdout.write(json ? JSON.stringify(obj) + '\n' : human + '\n');
  };
  switch (sub) {
    case 'run':
      return runForeground(cfg);
    case 'start': {
      const { started, client } = await ensureDaemon(cfg);
      out(started ? `daemon started on ${client.baseUrl}` : `daemon already running on ${client.baseUrl}`, { started, url: client.baseUrl });
      return 0;
    }
    case 'stop': {
      const r = await stopDaemon(cfg);
      out(`daemon ${r}`, { result: r });
      return 0;
    }
    case 'status': {
      const client = new Client(cfg);
      const h = await client.health(1000);
      if (!h) return statusWithoutAnswer(cfg, out);
      const gpu = h.gpuSampler as { state?: string; message?: string | null } | undefined;
      const disk = h.storage as { state?: string; message?: string | null } | undefined;
      out(
        `daemon running on ${client.baseUrl} (pid ${String(h.pid)}), ${String(h.activeRuns)} active run(s), ` +
          `GPU sampler ${gpu?.state ?? '?'}${gpu?.message ? ` (${gpu.message})` : ''}, home ${cfg.home}` +
          (disk?.state !== undefined && disk.state !== 'ok' ? `\nwarning: ${disk.message ?? 'the disk refuses writes'}` : ''),
        { running: true, url: client.baseUrl, ...h },
      );
      return 0;
    }
    default:
      throw usage(`profiler daemon: expected start | stop | status | run, got ${sub === undefined ? 'nothing' : `"${sub}"`}`);
  }
}
