import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** The only place that spawns processes, so tests and config can swap commands. */
export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(command, args as string[], { ...options, shell: false });
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started (ENOENT, EACCES…) or timed out. */
  error: NodeJS.ErrnoException | null;
  timedOut: boolean;
}

/** A timeout told like the spawn errors that share `ExecResult.error`: errno-style, code ETIMEDOUT, for callers to branch on. */
function timeoutError(command: string, ms: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`${command} did not finish within ${ms} ms`), { code: 'ETIMEDOUT' });
}

/** Runs a command to completion with a timeout; never throws. */
export function execCapture(
  command: string,
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; maxBytes?: number } = {},
): Promise<ExecResult> {
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const finish = (r: Omit<ExecResult, 'stdout' | 'stderr' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, stdout, stderr, timedOut });
    };
    let child: ChildProcess;
    try {
      child = spawnProcess(command, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: null, signal: null, stdout, stderr, error: err as NodeJS.ErrnoException, timedOut });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < maxBytes) stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < maxBytes) stderr += d;
    });
    child.on('error', (error) => finish({ code: null, signal: null, error }));
    child.on('close', (code, signal) =>
      finish({ code, signal, error: timedOut ? timeoutError(command, timeoutMs) : null }),
    );
  });
}

/** The slice of @lydell/node-pty's IPty that `profiler run --pty` uses. */
export interface PtyProcess {
  readonly pid: number;
  onData(listener: (data: Buffer) => void): void;
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
  pause(): void;
  resume(): void;
}

interface PtyModule {
  spawn(file: string, args: string[], opts: { name: string; cols: number; rows: number; cwd: string; env: NodeJS.ProcessEnv; encoding: null }): unknown;
}

/** Loads the optional pseudo-terminal package on demand; null (with why) when it is not installed or has no binary here. */
export async function loadPty(moduleName = '@lydell/node-pty'): Promise<{ spawn: (command: string, args: string[], opts: { cols: number; rows: number; env: NodeJS.ProcessEnv }) => PtyProcess } | { error: string }> {
  let mod: PtyModule;
  try {
    mod = (await import(moduleName)) as PtyModule;
    if (typeof mod.spawn !== 'function') mod = (mod as unknown as { default: PtyModule }).default;
  } catch (err) {
    return { error: `${moduleName} could not be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
  return {
    spawn: (command, args, opts) =>
      mod.spawn(command, args, { name: process.env.TERM || 'xterm-256color', cols: opts.cols, rows: opts.rows, cwd: process.cwd(), env: opts.env, encoding: null }) as PtyProcess,
  };
}
