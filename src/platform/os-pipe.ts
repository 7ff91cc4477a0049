import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';

/** One OS pipe: the command writes `writeFd`, we read `readFd`. */
export interface OsPipe {
  readFd: number;
  writeFd: number;
}

interface Libc {
  pipe2(fds: number[], flags: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
}

const O_CLOEXEC = 0x80000; // Linux, x86_64 and arm64 alike
const F_SETPIPE_SZ = 1031;
/** Room for ~10 ms of a command printing 100 MB/s, so it rarely waits for our read (Linux's unprivileged maximum). */
const PIPE_BYTES = 1 << 20;

let libc: Libc | null | undefined;

/** libc through koffi, loaded on first use (~7 ms); null where it cannot be (not Linux, no koffi). */
function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux') return libc;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(sig: string): (...a: unknown[]) => number };
    };
    const lib = koffi.load('libc.so.6');
    const pipe2 = lib.func('int pipe2(_Out_ int *fds, int flags)');
    const fcntl = lib.func('int fcntl(int fd, int cmd, int arg)');
    libc = { pipe2: (fds, flags) => pipe2(fds, flags), fcntl: (fd, cmd, arg) => fcntl(fd, cmd, arg) };
  } catch {
    libc = null;
  }
  return libc;
}

/**
 * `n` real pipes, as a shell gives a command: libuv's stdio "pipes" are socket pairs, on which each small write costs
 * the command a socket buffer (a command printing 1 M short lines ran 1.8× slower into one). Null when they cannot be
 * made: the caller then uses Node's own.
 */
export function osPipes(n: number): OsPipe[] | null {
  const c = loadLibc();
  if (c === null) return null;
  const made: OsPipe[] = [];
  for (let k = 0; k < n; k++) {
    const fds = [-1, -1];
    if (c.pipe2(fds, O_CLOEXEC) !== 0) {
      for (const p of made) closePipe(p);
      return null;
    }
    const pipe = { readFd: fds[0] as number, writeFd: fds[1] as number };
    c.fcntl(pipe.writeFd, F_SETPIPE_SZ, PIPE_BYTES); // best effort: a smaller pipe only means more reads
    made.push(pipe);
  }
  return made;
}

/** Closes an fd we own, ignoring one already closed. */
export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

export function closePipe(p: OsPipe): void {
  closeFd(p.readFd);
  closeFd(p.writeFd);
}

/** A stream over a pipe's read end (libuv makes it non-blocking and polls it like any pipe). */
export function pipeReader(fd: number): Socket {
  return new Socket({ fd, readable: true, writable: false });
}
