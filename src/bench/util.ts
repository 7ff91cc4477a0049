// Shared pieces of the benchmarks: result rows with targets, statistics, daemon child processes, /proc readings.
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnProcess } from '../platform/exec.js';
import { DAEMON_NODE_FLAGS, daemonEnv } from '../platform/daemon-flags.js';
import { packageRoot } from '../platform/paths.js';
import { daemonStart, internal, ioError } from '../errors.js';

/** A target a figure is held to: at most (`<=`) or at least (`>=`) `value`, in the figure's unit. */
export interface Target {
  op: '<=' | '>=';
  value: number;
}

/** One measured figure: median, min and max over `runs` repetitions. */
export interface Figure {
  key: string;
  benchmark: string;
  params: Record<string, number | string>;
  runs: number;
  unit: string;
  median: number;
  min: number;
  max: number;
  target: Target | null;
  /** Whether the median meets the target; null without one. */
  met: boolean | null;
  note?: string;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Builds a figure from repeated measurements. */
export function figure(
  key: string,
  benchmark: string,
  params: Record<string, number | string>,
  unit: string,
  values: readonly number[],
  target: Target | null = null,
  note?: string,
): Figure {
  const med = median(values);
  const met = target === null ? null : target.op === '<=' ? med <= target.value : med >= target.value;
  return { key, benchmark, params, runs: values.length, unit, median: med, min: Math.min(...values), max: Math.max(...values),
    target, met, ...(note ? { note } : {}) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(probe: () => Promise<T | null> | T | null, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw internal(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A port free right now on 127.0.0.1 (the daemon binds it next). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Clock ticks of user + system CPU of one process (not its children), from /proc/<pid>/stat. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat(5))
}

/** Peak resident set (VmHWM) of a process in MB (2^20 bytes). */
export function peakRssMB(pid: number | 'self' = 'self'): number {
  const m = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw ioError(`no VmHWM for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** Profile of the fake nvidia-smi: `gpus` H100s ramping up then holding ~600 W, repeating. */
export function fakeProfile(gpus: number): object {
  return {
    gpus: Array.from({ length: gpus }, (_, i) => ({
      uuid: `GPU-be4c${String(i).padStart(4, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: 'NVIDIA Fake H100 80GB HBM3',
      powerLimitW: 700,
      memTotalMiB: 81559,
      segments: [{ durationS: 5, fromW: 90, toW: 600 }, { durationS: 600, fromW: 600 + i, toW: 620 + i }],
      repeat: true,
    })),
  };
}

export interface DaemonChild {
  proc: ChildProcess;
  pid: number;
  url: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export const cliPath = (): string => join(packageRoot(), 'dist', 'cli', 'index.js');

/** `profiler daemon run` in a child process on a fresh home, sampling `gpus` fake GPUs every `sampleMs`. */
export async function startDaemon(home: string, opts: { gpus: number; sampleMs: number; extraEnv?: NodeJS.ProcessEnv }): Promise<DaemonChild> {
  const profile = join(home, 'fake-profile.json');
  writeFileSync(profile, JSON.stringify(fakeProfile(opts.gpus)));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PROFILER_HOME: home, PROFILER_PORT: String(port),
    PROFILER_SAMPLE_MS: String(opts.sampleMs), PROFILER_NVIDIA_SMI: join(packageRoot(), 'scripts', 'fake-nvidia-smi'),
    FAKE_SMI_PROFILE: profile, ...opts.extraEnv };
  // Launched as `profiler daemon start` launches it (same V8 flags and environment).
  const proc = spawnProcess(process.execPath, [...DAEMON_NODE_FLAGS, cliPath(), 'daemon', 'run'], { stdio: ['ignore', 'ignore', 'inherit'], env: daemonEnv(env) });
  const url = `http://127.0.0.1:${port}`;
  const exited = once(proc, 'exit');
  await waitFor(async () => {
    if (proc.exitCode !== null) throw daemonStart(`daemon exited with ${proc.exitCode}`);
    return (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) ? true : null;
  }, 20_000, 'the daemon to answer /healthz');
  return {
    proc, pid: proc.pid as number, url, env,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

export async function postJson(url: string, body: object): Promise<Record<string, unknown>> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw internal(`POST ${url}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}
