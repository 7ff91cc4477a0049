import type { ChildProcess } from 'node:child_process';
import { systemClock, systemScheduler, type Clock, type Scheduler, type TimerHandle } from '../platform/clock.js';
import { execCapture, spawnProcess } from '../platform/exec.js';
import {
  GPU_QUERY_FIELDS,
  GPU_QUERY_FIELDS_NO_INSTANT,
  createGpuLineParser,
  invalidQueryField,
  parseComputeApps,
  type ComputeApp,
  type GpuParseResult,
} from './nvidia-smi-parse.js';
import type { GpuGap, GpuSample, SamplerHealth } from './types.js';

export type { GpuGap } from './types.js';

export interface GpuStreamLogger {
  warn(o: object, msg?: string): void;
  info(o: object, msg?: string): void;
}

export interface GpuStreamOptions {
  command: string;
  intervalMs: number;
  onSamples(samples: GpuSample[]): void;
  onHealth?(h: SamplerHealth): void;
  onGap?(gap: GpuGap): void;
  logger?: GpuStreamLogger;
  /** Time and timers (watchdog, restart back-off, stop's escalation) go through these; `now` is the older spelling. */
  clock?: Clock;
  scheduler?: Scheduler;
  now?(): number;
  /** The process seam (src/platform/exec.ts); tests pass fake children. */
  spawn?: typeof spawnProcess;
  exec?: typeof execCapture;
  /** Silence (no sample) for this many intervals makes the watchdog kill and restart nvidia-smi. */
  watchdogIntervals?: number;
  maxBackoffMs?: number;
  /** First restart delay; doubles per consecutive failure up to maxBackoffMs. */
  initialBackoffMs?: number;
  /** Time allowed for the power.draw.instant probe (a call can take seconds without persistence mode). */
  probeTimeoutMs?: number;
  /** Silence allowed before a fresh process's first sample (driver start-up can be slow). */
  startupGraceMs?: number;
}

export interface GpuStream {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): SamplerHealth;
  readonly fields: readonly string[];
}

/** nvidia-smi exit codes that mean "no usable GPU here": retrying will not help. */
const UNAVAILABLE_EXIT: Readonly<Record<number, string>> = {
  9: 'nvidia-smi cannot communicate with the NVIDIA driver (exit 9)',
  12: 'nvidia-smi cannot load libnvidia-ml.so (exit 12)',
};

function firstLine(text: string): string {
  return text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
}

function streamArgs(fields: readonly string[], intervalMs: number): string[] {
  return [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits', '-lms', String(intervalMs)];
}

/** One long-lived `nvidia-smi --query-gpu=… -lms N` for all GPUs, restarted with backoff, watched for silence. */
export function createGpuStream(opts: GpuStreamOptions): GpuStream {
  const clock = opts.clock ?? (opts.now ? { now: opts.now } : systemClock);
  const now = (): number => clock.now();
  const timers = opts.scheduler ?? systemScheduler();
  const spawn = opts.spawn ?? spawnProcess;
  const exec = opts.exec ?? execCapture;
  const log = opts.logger;
  const watchdogMs = (opts.watchdogIntervals ?? 5) * opts.intervalMs;
  const graceMs = Math.max(watchdogMs, opts.startupGraceMs ?? 10_000);
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  const initialBackoffMs = Math.min(opts.initialBackoffMs ?? 500, maxBackoffMs);
  const health: SamplerHealth = { name: 'nvidia-smi', state: 'idle', lastSampleAt: null, restarts: 0, message: null };
  let fields: readonly string[] = GPU_QUERY_FIELDS;
  let child: ChildProcess | null = null;
  let childExited: Promise<void> = Promise.resolve();
  let started = false;
  let stopping = false;
  let failures = 0;
  let restartTimer: TimerHandle | null = null;
  let watchdog: TimerHandle | null = null;
  let abandonTimer: TimerHandle | null = null;
  let lastActivity = 0;
  let childSawSample = false;
  let lastSampleT: number | null = null;
  let pendingGapReason: string | null = null;
  let abandonChild: (() => void) | null = null;

  const setHealth = (patch: Partial<SamplerHealth>): void => {
    Object.assign(health, patch);
    opts.onHealth?.({ ...health });
  };

  const becomeUnavailable = (message: string): void => {
    if (health.state === 'unavailable') return;
    timers.clear(watchdog);
    watchdog = null;
    log?.warn({ command: opts.command }, `${message}; GPU power will not be sampled`);
    setHealth({ state: 'unavailable', message });
  };

  const deliver = (r: GpuParseResult): void => {
    if (r.rejected.length > 0) log?.info({ rejected: r.rejected.slice(0, 3), count: r.rejected.length }, 'nvidia-smi: skipped non-CSV output');
    if (r.samples.length === 0) return;
    lastActivity = now();
    let first = Infinity;
    let last = -Infinity;
    for (const s of r.samples) {
      if (s.t < first) first = s.t;
      if (s.t > last) last = s.t;
    }
    if (lastSampleT !== null && (pendingGapReason !== null || first - lastSampleT > watchdogMs)) {
      opts.onGap?.({ from: lastSampleT, to: first, reason: pendingGapReason ?? 'nvidia-smi stalled' });
    }
    pendingGapReason = null;
    lastSampleT = lastSampleT === null ? last : Math.max(lastSampleT, last);
    if (!childSawSample) {
      failures = 0;
      childSawSample = true;
      if (watchdog !== null) armWatchdog(); // from the start-up grace to the watchdog's limit
    }
    // Only a change of state is pushed (its listeners log and wake on it); each batch's time is read with health().
    if (health.state !== 'running') setHealth({ lastSampleAt: lastSampleT, state: 'running', message: null });
    else health.lastSampleAt = lastSampleT;
    try {
      opts.onSamples(r.samples);
    } catch (err) {
      log?.warn({ err }, 'nvidia-smi: onSamples threw; samples of this batch may be lost');
    }
  };

  const scheduleRestart = (reason: string): void => {
    if (stopping) return;
    pendingGapReason ??= reason;
    reason = pendingGapReason;
    const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** failures);
    failures++;
    setHealth({ state: 'restarting', restarts: health.restarts + 1, message: reason });
    log?.warn({ reason, delayMs: delay }, 'nvidia-smi stream ended; restarting');
    restartTimer = timers.setTimeout(() => {
      restartTimer = null;
      spawnStream();
    }, delay);
  };

  const spawnStream = (): void => {
    if (stopping) return;
    const parser = createGpuLineParser(fields);
    let stderrTail = '';
    let stdoutHead = '';
    let done = false;
    let proc: ChildProcess;
    try {
      proc = spawn(opts.command, streamArgs(fields, opts.intervalMs), { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      becomeUnavailable(`nvidia-smi could not be started: ${(err as Error).message}`);
      return;
    }
    child = proc;
    childSawSample = false;
    lastActivity = now();
    if (watchdog !== null) armWatchdog(); // a restart: the start-up grace counts from now
    let resolveExit!: () => void;
    childExited = new Promise((r) => (resolveExit = r));
    abandonChild = () => finish(null, 'SIGKILL');
    const finish = (code: number | null, signal: NodeJS.Signals | null, err?: NodeJS.ErrnoException): void => {
      if (done) return;
      done = true;
      if (child === proc) child = null;
      timers.clear(abandonTimer);
      abandonTimer = null;
      proc.stdout?.removeAllListeners('data');
      deliver(parser.end());
      resolveExit();
      if (stopping) return;
      if (err && (err.code === 'ENOENT' || err.code === 'EACCES')) {
        return becomeUnavailable(`nvidia-smi not found or not executable: "${opts.command}" (${err.code})`);
      }
      const fatal = code !== null ? UNAVAILABLE_EXIT[code] : undefined;
      if (fatal) return becomeUnavailable(`${fatal}: ${firstLine(stdoutHead) || firstLine(stderrTail)}`);
      const why = err ? `spawn error ${err.code ?? err.message}` : signal ? `killed by ${signal}` : `exit code ${code}`;
      scheduleRestart(`nvidia-smi ${why}${stderrTail ? `: ${firstLine(stderrTail)}` : ''}`);
    };
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (stdoutHead.length < 1024) stdoutHead += d;
      deliver(parser.push(d));
    });
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderrTail = (stderrTail + d).slice(-2048)));
    proc.on('error', (err) => finish(null, null, err));
    proc.on('close', (code, signal) => finish(code, signal));
  };

  const checkWatchdog = (): void => {
    const proc = child;
    // abandonTimer set: this child was killed already and is given 2 s to go.
    if (!proc || stopping || abandonTimer) return;
    const silentFor = now() - lastActivity;
    if (silentFor <= (childSawSample ? watchdogMs : graceMs)) return;
    pendingGapReason = `watchdog: no sample for ${silentFor} ms`;
    log?.warn({ silentForMs: silentFor }, 'nvidia-smi silent; killing it');
    proc.kill('SIGKILL');
    const abandon = abandonChild;
    // A process stuck in the driver can survive SIGKILL: give up on it and start a new one.
    abandonTimer = timers.setTimeout(() => child === proc && abandon?.(), 2000);
  };

  /**
   * One timer due when the silence would pass its limit, re-armed for what remains while samples keep coming: about
   * two wake-ups a second at 100 ms sampling instead of a check every half interval (20 a second, ~0.4 % of a core
   * on its own in the daemon benchmark).
   */
  const armWatchdog = (): void => {
    timers.clear(watchdog);
    const limit = childSawSample ? watchdogMs : graceMs;
    const due = lastActivity + limit - now();
    watchdog = timers.setTimeout(() => {
      watchdog = null;
      checkWatchdog();
      if (started && !stopping && health.state !== 'unavailable') armWatchdog();
    }, due >= 0 ? due + 1 : limit);
  };

  const probe = async (): Promise<boolean> => {
    const args = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
    const r = await exec(opts.command, args, { timeoutMs: opts.probeTimeoutMs ?? 15_000 });
    const code = r.error?.code;
    if (code === 'ENOENT' || code === 'EACCES') {
      becomeUnavailable(`nvidia-smi not found or not executable: "${opts.command}" (${code})`);
      return false;
    }
    const fatal = r.code !== null ? UNAVAILABLE_EXIT[r.code] : undefined;
    if (fatal) {
      becomeUnavailable(`${fatal}: ${firstLine(r.stdout) || firstLine(r.stderr)}`);
      return false;
    }
    if (invalidQueryField(r.stdout + r.stderr) === 'power.draw.instant') {
      fields = GPU_QUERY_FIELDS_NO_INSTANT;
      log?.info({}, 'nvidia-smi rejects power.draw.instant (driver < 530); sampling without it');
    } else if (r.timedOut) {
      log?.warn({ timeoutMs: opts.probeTimeoutMs ?? 15_000 }, 'nvidia-smi probe timed out; starting the stream anyway');
    }
    return true;
  };

  const start = async (): Promise<void> => {
    if (started) return;
    started = true;
    stopping = false;
    if (!(await probe()) || stopping) return;
    setHealth({ state: 'running', message: null });
    spawnStream();
    armWatchdog();
  };

  const stop = async (): Promise<void> => {
    stopping = true;
    started = false;
    for (const t of [restartTimer, watchdog, abandonTimer]) timers.clear(t);
    restartTimer = watchdog = abandonTimer = null;
    const proc = child;
    if (proc) {
      proc.kill('SIGTERM');
      const escalate = timers.setTimeout(() => proc.kill('SIGKILL'), 2000);
      let giveUp: TimerHandle | null = null;
      // A child wedged in the driver may never die: do not let stop() hang on it.
      await Promise.race([childExited, new Promise((r) => (giveUp = timers.setTimeout(() => r(null), 5000)))]);
      timers.clear(escalate);
      timers.clear(giveUp);
    }
    if (health.state !== 'unavailable') setHealth({ state: 'idle' });
  };

  return {
    start,
    stop,
    health: () => ({ ...health }),
    get fields() {
      return fields;
    },
  };
}

/** Maps GPU processes to GPUs; null when nvidia-smi fails or times out. */
export async function queryComputeApps(command: string, timeoutMs: number): Promise<ComputeApp[] | null> {
  const r = await execCapture(command, ['--query-compute-apps=pid,gpu_uuid,used_gpu_memory', '--format=csv,noheader,nounits'], {
    timeoutMs,
  });
  if (r.error || r.code !== 0) return null;
  return parseComputeApps(r.stdout);
}
