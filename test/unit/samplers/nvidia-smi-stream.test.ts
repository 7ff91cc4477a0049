import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGpuStream, queryComputeApps, type GpuGap, type GpuStreamOptions } from '../../../src/samplers/nvidia-smi.js';
import { GPU_QUERY_FIELDS, GPU_QUERY_FIELDS_NO_INSTANT } from '../../../src/samplers/nvidia-smi-parse.js';
import type { GpuSample, SamplerHealth } from '../../../src/samplers/types.js';

const FAKE = path.resolve('scripts/fake-nvidia-smi');
let dir = '';
before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gpu-stream-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A command that runs the fake with the given environment (the sampler takes only a command string). */
function fakeWith(env: Record<string, string>): string {
  const file = path.join(dir, `smi-${Math.random().toString(36).slice(2)}`);
  const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
  writeFileSync(file, ['#!/bin/sh', ...exports, `exec '${FAKE}' "$@"`, ''].join('\n'));
  chmodSync(file, 0o755);
  return file;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function harness(command: string, extra: Partial<GpuStreamOptions> = {}) {
  const samples: GpuSample[] = [];
  const gaps: GpuGap[] = [];
  const healths: SamplerHealth[] = [];
  const warnings: string[] = [];
  const stream = createGpuStream({
    command,
    intervalMs: 40,
    initialBackoffMs: 50,
    maxBackoffMs: 400,
    probeTimeoutMs: 2000,
    startupGraceMs: 3000,
    onSamples: (s) => samples.push(...s),
    onGap: (g) => gaps.push(g),
    onHealth: (h) => healths.push(h),
    logger: { warn: (_o, msg) => warnings.push(msg ?? ''), info: () => {} },
    ...extra,
  });
  return { stream, samples, gaps, healths, warnings };
}

describe('createGpuStream against the fake nvidia-smi', () => {
  it('delivers samples for every GPU, then stop() ends the child', async () => {
    // Generous watchdog: a loaded test machine must not cause a restart here.
    const h = harness(FAKE, { watchdogIntervals: 50 });
    await h.stream.start();
    assert.deepEqual(h.stream.fields, GPU_QUERY_FIELDS);
    await waitFor(() => new Set(h.samples.map((s) => s.uuid)).size === 2 && h.samples.length >= 6, 'samples of both GPUs');
    assert.equal(h.stream.health().state, 'running');
    assert.ok(h.samples.every((s) => s.powerW !== null && s.powerInstantW !== null && s.powerLimitW === 400));
    assert.equal(h.stream.health().lastSampleAt, Math.max(...h.samples.map((s) => s.t)));
    await h.stream.stop();
    assert.equal(h.stream.health().state, 'idle');
    assert.deepEqual(h.gaps, []);
    assert.equal(h.stream.health().restarts, 0);
  });

  it('restarts after the process exits and reports the gap without filling it', async () => {
    const h = harness(fakeWith({ FAKE_SMI_MODE: 'die-after:3' }));
    await h.stream.start();
    await waitFor(() => h.gaps.length >= 1 && h.stream.health().restarts >= 1, 'a restart and a gap');
    await h.stream.stop();
    const gap = h.gaps[0]!;
    assert.match(gap.reason, /exit code 1/);
    assert.ok(gap.to > gap.from);
    assert.ok(h.samples.some((s) => s.t === gap.to));
    assert.ok(!h.samples.some((s) => s.t > gap.from && s.t < gap.to), 'nothing invented inside the gap');
    assert.ok(h.healths.some((x) => x.state === 'restarting'));
  });

  it('the watchdog kills a process that falls silent and restarts it', async () => {
    const h = harness(fakeWith({ FAKE_SMI_MODE: 'hang-after:2' }));
    await h.stream.start();
    await waitFor(() => h.gaps.length >= 1, 'a gap after the watchdog restart');
    await h.stream.stop();
    assert.match(h.gaps[0]!.reason, /watchdog: no sample for \d+ ms/);
    assert.ok(h.warnings.some((w) => /silent/.test(w)));
    assert.ok(h.stream.health().restarts >= 1);
  });

  it('a process that never prints is killed after the start-up grace and retried with backoff', async () => {
    const h = harness(fakeWith({ FAKE_SMI_MODE: 'hang' }), { probeTimeoutMs: 200, startupGraceMs: 300 });
    await h.stream.start();
    await waitFor(() => h.stream.health().restarts >= 2, 'two restarts');
    await h.stream.stop();
    assert.equal(h.samples.length, 0);
    assert.ok(h.warnings.some((w) => /probe timed out/.test(w)));
  });

  for (const [name, command, pattern] of [
    ['nodriver', () => fakeWith({ FAKE_SMI_MODE: 'nodriver' }), /exit 9.*couldn't communicate with the NVIDIA driver/],
    ['nolib', () => fakeWith({ FAKE_SMI_MODE: 'nolib' }), /exit 12.*libnvidia-ml\.so/],
    ['a missing binary', () => path.join(os.tmpdir(), 'no-such-nvidia-smi-here'), /not found.*ENOENT/],
  ] as const) {
    it(`is unavailable with one clear message on ${name}, without a restart loop`, async () => {
      const h = harness(command());
      await h.stream.start();
      const health = h.stream.health();
      assert.equal(health.state, 'unavailable');
      assert.match(health.message ?? '', pattern);
      assert.equal(health.restarts, 0);
      assert.equal(h.warnings.length, 1);
      await h.stream.start();
      await h.stream.stop();
      assert.equal(h.stream.health().state, 'unavailable');
      assert.equal(h.warnings.length, 1);
    });
  }

  it('falls back to the field list without power.draw.instant on an old driver', async () => {
    const h = harness(fakeWith({ FAKE_SMI_MODE: 'old-driver' }));
    await h.stream.start();
    assert.deepEqual(h.stream.fields, GPU_QUERY_FIELDS_NO_INSTANT);
    await waitFor(() => h.samples.length >= 4, 'samples');
    await h.stream.stop();
    assert.ok(h.samples.every((s) => s.powerInstantW === null && s.powerW !== null));
  });

  it('keeps going through garbage output and a throwing consumer', async () => {
    let calls = 0;
    const warnings: string[] = [];
    const samples: GpuSample[] = [];
    const s = createGpuStream({
      command: fakeWith({ FAKE_SMI_MODE: 'garbage' }),
      intervalMs: 30,
      onSamples: (x) => {
        calls++;
        samples.push(...x);
        if (calls === 1) throw new Error('consumer bug');
      },
      logger: { warn: (_o, m) => warnings.push(m ?? ''), info: () => {} },
    });
    await s.start();
    await waitFor(() => samples.some((x) => x.powerW === null) && samples.length >= 12, 'samples with [N/A] power');
    await s.stop();
    assert.ok(warnings.some((w) => /onSamples threw/.test(w)));
    assert.equal(s.health().restarts, 0);
  });
});

describe('queryComputeApps', () => {
  it('maps processes to GPUs through the fake, null when nvidia-smi fails', async () => {
    const apps = [{ pid: 321, gpuUuid: 'GPU-fa4e0001-0000-4000-8000-000000000001', usedMiB: 900 }];
    assert.deepEqual(await queryComputeApps(fakeWith({ FAKE_SMI_COMPUTE_APPS: JSON.stringify(apps) }), 5000), apps);
    assert.deepEqual(await queryComputeApps(FAKE, 5000), []);
    assert.equal(await queryComputeApps(fakeWith({ FAKE_SMI_MODE: 'nodriver' }), 5000), null);
    assert.equal(await queryComputeApps(path.join(os.tmpdir(), 'no-such-nvidia-smi-here'), 5000), null);
  });
});
