import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FakeProfile } from '../../scripts/fake-smi/profile.mjs';

export const FAKE_NVML_SOURCE = resolve('test/fixtures/fake-nvml/fake-nvml.c');

let built: string | null = null;

/**
 * Compiles the fake libnvidia-ml.so.1 (test/fixtures/fake-nvml/fake-nvml.c) once per test process into a temp dir and
 * returns its path. Without a C compiler this throws: the NVML tests fail loudly rather than skip.
 */
export function fakeNvmlLibrary(): string {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'fake-nvml-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'libnvidia-ml.so.1');
  const cc = process.env.CC ?? 'cc';
  try {
    execFileSync(cc, ['-shared', '-fPIC', '-O2', '-Wall', '-Werror', '-o', out, FAKE_NVML_SOURCE], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = e.code === 'ENOENT' ? `no C compiler "${cc}" on PATH (install gcc, or set CC)` : (e.stderr?.toString() ?? e.message);
    throw new Error(`the fake NVML library could not be built from ${FAKE_NVML_SOURCE}: ${why}`);
  }
  built = out;
  return out;
}

/** The fake nvidia-smi's profile (the same FakeProfile, t0 fixed) as the text the fake NVML library reads. */
export function nvmlProfileText(p: FakeProfile & { t0: number }): string {
  const lines = [`t0 ${p.t0}`];
  for (const g of p.gpus) {
    lines.push(`gpu ${g.uuid} ${g.repeat ? 1 : 0} ${g.segments.length}`);
    for (const s of g.segments) lines.push(`${s.durationS} ${s.fromW} ${s.toW}`);
  }
  return lines.join('\n') + '\n';
}

export interface FakeNvmlSwitches {
  /** GPU indices whose energy counter answers NVML_ERROR_NOT_SUPPORTED. */
  notSupported?: number[];
  /** Epoch ms at which every counter restarts from 0 (a driver reload). */
  resetAtMs?: number;
  /** Expose only the first N GPUs. */
  gpuCount?: number;
}

/**
 * The environment that makes the fake nvidia-smi and the fake NVML library replay one profile: FAKE_SMI_PROFILE (JSON)
 * and FAKE_NVML_PROFILE (its text form) written into `dir`, plus the switches.
 */
export function fakeGpuEnv(dir: string, profile: FakeProfile & { t0: number }, sw: FakeNvmlSwitches = {}): Record<string, string> {
  const json = join(dir, 'fake-smi-profile.json');
  const text = join(dir, 'fake-nvml-profile.txt');
  writeFileSync(json, JSON.stringify(profile));
  writeFileSync(text, nvmlProfileText(profile));
  const env: Record<string, string> = { FAKE_SMI_PROFILE: json, FAKE_NVML_PROFILE: text };
  if (sw.notSupported) env.FAKE_NVML_NOT_SUPPORTED = sw.notSupported.join(',');
  if (sw.resetAtMs !== undefined) env.FAKE_NVML_RESET_AT_MS = String(sw.resetAtMs);
  if (sw.gpuCount !== undefined) env.FAKE_NVML_GPU_COUNT = String(sw.gpuCount);
  return env;
}

/** Sets env for this process (the fake library reads it at each nvmlInit_v2) and returns a function undoing it. */
export function setEnv(env: Record<string, string>): () => void {
  const keys = ['FAKE_SMI_PROFILE', 'FAKE_NVML_PROFILE', 'FAKE_NVML_NOT_SUPPORTED', 'FAKE_NVML_RESET_AT_MS', 'FAKE_NVML_GPU_COUNT'];
  const before = new Map(keys.map((k) => [k, process.env[k]]));
  for (const k of keys) delete process.env[k];
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of before) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
