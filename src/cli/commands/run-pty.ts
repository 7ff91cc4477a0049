import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import { loadPty, type PtyProcess } from '../../platform/exec.js';
import { usage } from '../../errors.js';

export type PtySpawner = Exclude<Awaited<ReturnType<typeof loadPty>>, { error: string }>;

/** Loads the pseudo-terminal package before anything is recorded, so a missing one costs the user no run. */
export async function ptyOrExplain(): Promise<PtySpawner> {
  const pty = await loadPty();
  if ('error' in pty) throw usage(`profiler run: --pty is unavailable here: ${pty.error}; run without --pty`);
  return pty;
}

/** A pty cannot report a failed exec except as exit 1 and a line of text: look the command up first, as a shell does. */
export function findCommand(command: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = command.includes('/') ? [command] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // not there or not executable: try the next directory
    }
  }
  return null;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** The pty may deliver its last bytes after the exit event: wait until it has been quiet this long (at most DRAIN_MS). */
const QUIET_MS = 50;
const DRAIN_MS = 1000;

function signalName(n: number | undefined): NodeJS.Signals | null {
  if (!n) return null;
  const entry = Object.entries(constants.signals).find(([, v]) => v === n);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}

/**
 * Runs the command on a pseudo-terminal (`profiler run --pty`): it sees a terminal as in the user's shell (isatty,
 * colours, progress bars, line buffering); its stdout and stderr arrive merged on our stdout, as a terminal shows them.
 */
export async function runOnPty(
  pty: PtySpawner,
  command: string[],
  env: NodeJS.ProcessEnv,
  onChunk: (b: Buffer) => void,
  attach: (pid: number) => void,
): Promise<[number | null, NodeJS.Signals | null]> {
  const size = (): [number, number] => [process.stdout.columns || 80, process.stdout.rows || 24];
  const [cols, rows] = size();
  const child: PtyProcess = pty.spawn(command[0] as string, command.slice(1), { cols, rows, env });
  attach(child.pid);
  let lastData = Date.now();
  child.onData((b) => {
    lastData = Date.now();
    if (!process.stdout.write(b)) {
      child.pause();
      process.stdout.once('drain', () => child.resume());
    }
    onChunk(b);
  });
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true); // keys (Ctrl-C included) go to the command's terminal, which signals it itself
  const onInput = (d: Buffer): void => child.write(d.toString('utf8'));
  const onEnd = (): void => child.write('\x04'); // piped input ended: EOF on the terminal
  stdin.on('data', onInput);
  stdin.once('end', onEnd);
  const onResize = (): void => child.resize(...size());
  process.stdout.on('resize', onResize);
  const forward = (sig: NodeJS.Signals): void => child.kill(sig);
  for (const s of FORWARDED) process.on(s, forward);
  const exit = await new Promise<{ exitCode: number; signal?: number }>((resolve) => child.onExit(resolve));
  const deadline = Date.now() + DRAIN_MS;
  while (Date.now() - lastData < QUIET_MS && Date.now() < deadline) await new Promise((r) => setTimeout(r, QUIET_MS / 2));
  for (const s of FORWARDED) process.off(s, forward);
  process.stdout.off('resize', onResize);
  stdin.off('data', onInput);
  stdin.off('end', onEnd);
  if (raw) stdin.setRawMode(false);
  stdin.pause();
  const signal = signalName(exit.signal);
  return [signal ? null : exit.exitCode, signal];
}
