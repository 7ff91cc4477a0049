import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve('.');
export const CLI = join(ROOT, 'dist/cli/index.js');
export const FAKE_SMI = join(ROOT, 'scripts/fake-nvidia-smi');
export const DEMO = join(ROOT, 'scripts/demo-train.py');

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

export interface TestHome {
  home: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** A fresh PROFILER_HOME on a free port with the fake nvidia-smi; cleanup stops its daemon. */
export async function testHome(extra: NodeJS.ProcessEnv = {}): Promise<TestHome> {
  const home = mkdtempSync(join(tmpdir(), 'profiler-test-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PROFILER_HOME: home,
    PROFILER_PORT: String(await freePort()),
    PROFILER_NVIDIA_SMI: FAKE_SMI,
    PROFILER_SAMPLE_MS: '100',
    ...extra,
  };
  delete env.CUDA_VISIBLE_DEVICES;
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return {
    home,
    env,
    async cleanup() {
      await runCli(['daemon', 'stop'], { env });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export function startCli(args: string[], opts: { env: NodeJS.ProcessEnv; input?: Buffer | string }): {
  child: ChildProcess;
  done: Promise<CliResult>;
} {
  const child = spawn(process.execPath, [CLI, ...args], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  else child.stdin?.end();
  const done = new Promise<CliResult>((res) =>
    child.on('close', (code, signal) => res({ code, signal, stdout: Buffer.concat(out), stderr: err })),
  );
  return { child, done };
}

export function runCli(args: string[], opts: { env: NodeJS.ProcessEnv; input?: Buffer | string }): Promise<CliResult> {
  return startCli(args, opts).done;
}

export async function showJson(env: NodeJS.ProcessEnv, ref = 'last'): Promise<any> {
  const r = await runCli(['show', ref, '--json'], { env });
  if (r.code !== 0) throw new Error(`show failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString('utf8'));
}

/** Polls until fn returns a truthy value (tests wait for conditions, never fixed sleeps). */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(value));
  return p;
}

export function lockPid(home: string): number {
  return Number(JSON.parse(readFileSync(join(home, 'daemon.lock'), 'utf8')).pid);
}

/** Pids of live `profiler run` output guards of a run (their command line holds the marker and the run id). */
export function guardsOf(runId: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.includes('profiler-output-guard') && argv.includes(runId);
    } catch {
      return false; // gone while we looked
    }
  }).map(Number);
}
