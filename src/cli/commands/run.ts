import { constants, hostname } from 'node:os';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Config } from '../../config/schema.js';
import { createByteEpochDetector, createEpochContext, type ByteEpochDetector, type EpochEvent } from '../../epochs/index.js';
import { ProfilerError } from '../../errors.js';
import { spawnProcess } from '../../platform/exec.js';
import { closeFd, osPipes, pipeReader } from '../../platform/os-pipe.js';
import { newRunId } from '../../store/run-id.js';
import { Client } from '../client.js';
import { DaemonLink } from '../daemon-link.js';
import { OutputGuard } from '../output-guard.js';
import { resolveJob } from '../job-env.js';
import { parseRunArgs } from '../run-args.js';
import { BudgetAction } from '../budget-action.js';
import { describeError, formatSummary } from '../format.js';
import { findCommand, ptyOrExplain, runOnPty } from './run-pty.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** How long output may keep flowing after the command exited (from processes it left behind) before we finish. */
const DRAIN_MS = 1000;

/** Copies the child's bytes to ours unchanged, pausing the child when our side is slow (nothing is dropped). */
function passThrough(from: Readable, to: Writable, onChunk: (b: Buffer) => void, onReaderGone: () => void): Promise<void> {
  return new Promise((resolve) => {
    to.on('error', () => {
      // Reader gone (EPIPE): the child sees its pipe close, as without us, once the guard's copy is closed too.
      onReaderGone();
      from.destroy();
    });
    from.on('data', (chunk: Buffer) => {
      if (!to.destroyed && !to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
      onChunk(chunk); // after the write: detection never holds a byte back
    });
    from.on('close', resolve);
    from.on('error', resolve);
    from.resume(); // handed to the output guard, the stream was paused
  });
}

/** `profiler run -- CMD`: runs CMD exactly as without us and records it through the daemon. */
export async function runCommand(cfg: Config, argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  const pty = args.pty ? await ptyOrExplain() : null;
  const id = newRunId();
  const url = new Client(cfg).baseUrl;
  const env: NodeJS.ProcessEnv = { ...process.env, PROFILER_URL: url, PROFILER_RUN_ID: id };
  if (env.PYTHONUNBUFFERED === undefined) env.PYTHONUNBUFFERED = '1';
  // Register first (starting the daemon if needed, ≤ daemonStartTimeoutMs) so the run is covered from its start;
  // when the daemon cannot be reached the command still runs, unrecorded.
  const link = await DaemonLink.open(cfg, id, {
    id,
    name: args.name,
    command: args.command,
    cwd: process.cwd(),
    expectedEpochs: args.epochs,
    cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES ?? null,
    gpus: args.gpus,
    meta: args.meta,
    job: resolveJob(process.env, args.job, hostname()),
    budget: args.budget,
  });
  const budget = args.budget ? new BudgetAction(args.budget, cfg.budgetGraceMs) : null;
  const context = createEpochContext();
  const onEvents = (events: EpochEvent[]): void => {
    const at = Date.now();
    for (const e of events) link.mark({ event: e.kind, epoch: e.printed, total: args.epochs === null ? e.total : null, source: e.source, at });
  };
  if (pty && findCommand(args.command[0] as string, env) === null) {
    await link.finish({ exitCode: 127, signal: null, endedAt: Date.now(), status: 'failed' });
    process.stderr.write(`profiler: ${describeError(new ProfilerError('PROF_ERR_SPAWN', `cannot run ${args.command[0]}: command not found`, 400))}\n`);
    return 127;
  }
  if (pty) {
    const detector = createByteEpochDetector({ pattern: args.epochPattern, context });
    let alive = true;
    const [code, signal] = await runOnPty(pty, args.command, env, (b) => onEvents(detector.feed(b)), (pid) => {
      link.attach(pid);
      budget?.arm(link, (sig) => {
        try {
          if (alive) process.kill(pid, sig);
        } catch {
          // gone between its exit and our noticing: nothing to stop
        }
      });
    });
    alive = false;
    const endedAt = Date.now();
    onEvents(detector.end());
    budget?.disarm();
    return report(link, args.quiet, id, code, signal, endedAt, budget?.stopped);
  }
  // Real pipes where we can make them (as a shell would give): on Node's socket pairs a chatty command ran 1.8× slower.
  const pipes = osPipes(2);
  const stdio: ['inherit', number | 'pipe', number | 'pipe'] = pipes ? ['inherit', pipes[0]!.writeFd, pipes[1]!.writeFd] : ['inherit', 'pipe', 'pipe'];
  const child = spawnProcess(args.command[0] as string, args.command.slice(1), { stdio, env });
  for (const p of pipes ?? []) closeFd(p.writeFd); // the command holds them now: EOF when it (and what it left) closes
  const spawnError = new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
  const forward = (sig: NodeJS.Signals): void => {
    // A terminal's Ctrl-C already reaches the whole foreground group, the command included: do not send it twice.
    if (sig === 'SIGINT' && process.stdin.isTTY) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  for (const s of FORWARDED) process.on(s, forward);

  if (child.pid === undefined) {
    const err = await spawnError;
    for (const p of pipes ?? []) closeFd(p.readFd);
    for (const s of FORWARDED) process.off(s, forward);
    await link.finish({ exitCode: err.code === 'ENOENT' ? 127 : 126, signal: null, endedAt: Date.now(), status: 'failed' });
    const failed = new ProfilerError('PROF_ERR_SPAWN', `cannot run ${args.command[0]}: ${err.message}`, 400, { cause: err });
    process.stderr.write(`profiler: ${describeError(failed)}\n`);
    return err.code === 'ENOENT' ? 127 : 126;
  }
  // Spawned before anything reads the pipes; the command's output survives our death through it (README: profiler run).
  const guard = pipes ? OutputGuard.start(pipes[0]!.readFd, pipes[1]!.readFd, id) : OutputGuard.start(child.stdout as Readable, child.stderr as Readable, id);
  const [outPipe, errPipe] = pipes ? [pipeReader(pipes[0]!.readFd), pipeReader(pipes[1]!.readFd)] : [child.stdout as Readable, child.stderr as Readable];
  const releaseGuard = (): void => guard?.release();
  link.attach(child.pid);
  budget?.arm(link, (sig) => child.exitCode === null && child.signalCode === null && child.kill(sig));
  const detectors: ByteEpochDetector[] = [0, 1].map(() => createByteEpochDetector({ pattern: args.epochPattern, context }));
  const done = Promise.all([
    passThrough(outPipe, process.stdout, (s) => onEvents((detectors[0] as ByteEpochDetector).feed(s)), releaseGuard),
    passThrough(errPipe, process.stderr, (s) => onEvents((detectors[1] as ByteEpochDetector).feed(s)), releaseGuard),
  ]);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  const endedAt = Date.now();
  // A process the command left behind may hold its stdout open (a server started in the background): without us the
  // shell would return at once, so after a short drain we stop waiting for the pipes and finish.
  const drained = await Promise.race([done.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), DRAIN_MS).unref())]);
  if (!drained) {
    for (const pipe of [outPipe, errPipe]) (pipe as unknown as Socket).unref();
  }
  await guard?.close();
  for (const d of detectors) onEvents(d.end());
  for (const s of FORWARDED) process.off(s, forward);
  budget?.disarm();
  return report(link, args.quiet, id, code, signal, endedAt, budget?.stopped);
}

/** Finishes the run, prints what we have to say (unless quiet) and gives the command's own exit status. */
async function report(
  link: DaemonLink, quiet: boolean, id: string, code: number | null, signal: NodeJS.Signals | null, endedAt: number, stopped = false,
): Promise<number> {
  // Stopped for its budget: failed whatever the command made of the SIGTERM (the run JSON's budget says why).
  const run = await link.finish({ exitCode: code, signal, endedAt, ...(stopped ? { status: 'failed' as const } : {}) });
  if (!quiet) {
    for (const p of link.problems) process.stderr.write(`profiler: ${p}\n`);
    if (run) process.stderr.write(formatSummary(run) + '\n');
    // A saved outcome is recorded later: the run is not lost, only not finished in the record yet.
    else if (link.outcomeSaved) process.stderr.write(`profiler: run ${id} is not finished in the record yet (see above); the command ran normally\n`);
    else process.stderr.write(`profiler: run ${id} was not recorded (see above); the command ran normally\n`);
  }
  if (signal !== null) return 128 + (constants.signals[signal] ?? 0);
  return code ?? 1;
}
