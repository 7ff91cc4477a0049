import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { spawnProcess } from '../platform/exec.js';

/** The guard's $0: what `ps` shows and what tests look for. */
export const GUARD_MARKER = 'profiler-output-guard';
/** How long the end of a run waits for a released guard to exit before killing it. */
const EXIT_WAIT_MS = 1000;

/**
 * The idle part, in sh so it costs a few ms and no memory worth counting: it blocks on the lifeline (its stdin, our
 * pipe). "done" means we finished normally; EOF without it means we died, and then it becomes the takeover.
 */
const IDLE_SH = `trap '' INT TERM HUP
IFS= read -r line || line=
[ "$line" = done ] && exit 0
exec "$1" -e "$2" "$0" "$3" </dev/null`;

/**
 * The takeover, in Node because our ends of the command's pipes are non-blocking sockets (libuv's) that cat cannot
 * read. It copies fd 3 → its stdout and fd 4 → its stderr until the command closes them; a destination closed by its
 * reader closes that source, so the command sees EPIPE as it would without us.
 */
const TAKEOVER_JS = `for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
const net = require('node:net');
for (const [fd, to] of [[3, process.stdout], [4, process.stderr]]) {
  const from = new net.Socket({ fd, readable: true, writable: false });
  to.on('error', () => from.destroy());
  from.on('error', () => {});
  from.pipe(to, { end: false });
}`;

/**
 * Keeps the command's output flowing if `profiler run` is killed: a process in its own session (a terminal's Ctrl-C
 * and hang-up do not reach it) holding copies of our ends of the command's stdout/stderr and of our stdout/stderr. It
 * reads nothing while we live; without it the command would die of EPIPE at its next write after our death.
 */
export class OutputGuard {
  private released = false;
  private readonly exited: Promise<void>;

  private constructor(private readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.once('error', () => resolve());
    });
    proc.stdin?.on('error', () => {}); // a guard that died early: nothing to release
    proc.unref();
  }

  /**
   * Starts the guard over the command's pipes (before anything reads them); null when it cannot start, and the run
   * goes on without it. The ends are fds or streams; Node pauses a stream it hands to a child as stdio: the caller
   * resumes them. `runId` is only there for `ps` and tests; `shell` for tests too.
   */
  static start(stdout: Readable | number, stderr: Readable | number, runId: string, shell = 'sh'): OutputGuard | null {
    let proc: ChildProcess;
    try {
      proc = spawnProcess(shell, ['-c', IDLE_SH, GUARD_MARKER, process.execPath, TAKEOVER_JS, runId], {
        stdio: ['pipe', 'inherit', 'inherit', stdout, stderr],
        detached: true,
      });
    } catch {
      return null;
    }
    if (proc.pid === undefined) {
      proc.on('error', () => {});
      return null;
    }
    return new OutputGuard(proc);
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  /** We end normally (or our stdout's reader is gone): the guard exits without taking over, dropping its copies. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.proc.stdin?.end('done\n');
  }

  /** Releases the guard and waits (bounded) for it to exit, so no guard outlives a normal run. */
  async close(): Promise<void> {
    this.release();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), EXIT_WAIT_MS)));
    const stuck = await Promise.race([this.exited.then(() => false), late]);
    clearTimeout(timer);
    if (stuck) this.proc.kill('SIGKILL'); // it ignores SIGTERM by design
  }
}
