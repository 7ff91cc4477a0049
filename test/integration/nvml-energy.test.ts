import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { formatRun } from '../../src/cli/commands/query.js';
import { counterParts } from '../../src/runs/gpu-counter.js';
import type { RunJson } from '../../src/runs/report.js';
import { GpuEnergyReader } from '../../src/store/gpu-energy.js';
import type { FakeProfile } from '../../scripts/fake-smi/profile.mjs';
import { fakeGpuEnv, fakeNvmlLibrary, setEnv, type FakeNvmlSwitches } from '../helpers/fake-nvml.js';
import { startDaemon, type TestDaemon } from './api-daemon.js';

type ProfileLib = typeof import('../../scripts/fake-smi/profile.mjs');
const lib = (await import(pathToFileURL(path.resolve('scripts/fake-smi/profile.mjs')).href)) as ProfileLib;

const dir = mkdtempSync(join(tmpdir(), 'nvml-energy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/**
 * A daemon in this process with the fake nvidia-smi and the fake NVML library replaying the fake's default profile
 * (2 GPUs, a noisy warm-up, training), from 3 s into it; `library` replaces the fake library's path.
 */
async function daemonWith(sw: FakeNvmlSwitches, library = fakeNvmlLibrary()): Promise<{ t: TestDaemon; profile: FakeProfile & { t0: number }; undo: () => void }> {
  const profile = { ...structuredClone(lib.DEFAULT_PROFILE), t0: Date.now() - 3000 } as FakeProfile & { t0: number };
  const undo = setEnv(fakeGpuEnv(dir, profile, typeof sw.resetAtMs === 'number' ? { ...sw, resetAtMs: Date.now() + sw.resetAtMs } : sw));
  // Listening keeps the event loop alive: the daemon's own timers are unref'd.
  const t = await startDaemon({ PROFILER_NVML_LIBRARY: library });
  await t.daemon.ready;
  return { t, profile, undo };
}

/** Three 0.7-s epochs over HTTP (inject), then the run's JSON once finished; `live` as read during epoch 3. */
async function recordRun(t: TestDaemon): Promise<RunJson & { live: RunJson }> {
  const inject = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const r = await t.daemon.app.inject({ method, url, payload });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return r.json();
  };
  const run = await inject('POST', '/v1/runs', { command: ['train.py'], name: 'nvml' });
  let live: RunJson | null = null;
  for (let e = 1; e <= 3; e++) {
    await inject('POST', `/v1/runs/${run.id}/epochs`, { event: 'start', epoch: e });
    await sleep(700);
    if (e === 3) live = (await inject('GET', `/v1/runs/${run.id}`)) as RunJson;
    await inject('POST', `/v1/runs/${run.id}/epochs`, { event: 'end', epoch: e });
  }
  await inject('POST', `/v1/runs/${run.id}/finish`, { exitCode: 0 });
  return { ...((await inject('GET', `/v1/runs/${run.id}`)) as RunJson), live: live as RunJson };
}

function truth(profile: FakeProfile & { t0: number }, run: RunJson, a: string, b: string): number {
  return run.devices.reduce((s, d) => {
    const g = profile.gpus.find((x) => x.uuid === d.uuid);
    assert.ok(g, `device ${d.uuid} is in the profile`);
    return s + lib.energyBetween(g, Date.parse(a), Date.parse(b), profile.t0);
  }, 0);
}

describe('GPU energy from the NVML counter (fake libnvidia-ml) beside the nvidia-smi power integral', () => {
  let cur: { t: TestDaemon; undo: () => void } | null = null;
  afterEach(async () => {
    await cur?.t.close();
    cur?.undo();
    cur = null;
  });

  it('every GPU has a counter: gpuJ is the counter, within 1 % of the integral and of the truth, epochs too', async (tc) => {
    const d = await daemonWith({});
    cur = d;
    const run = await recordRun(d.t);
    assert.equal(run.devices.length, 2);
    const e = run.energy;
    assert.equal(e.gpuMethod, 'counter', e.gpuNote ?? '');
    assert.equal(e.gpuNote, null);
    assert.ok(e.gpuCounterJ !== null);
    assert.equal(e.gpuJ, e.gpuCounterJ);
    assert.notEqual(e.gpuCounterJ, e.gpuIntegralJ, 'two measurements, not one copied');
    const want = truth(d.profile, run, run.startedAt, run.endedAt as string);
    tc.diagnostic(`counter ${e.gpuCounterJ.toFixed(2)} J, integral ${e.gpuIntegralJ.toFixed(2)} J, truth ${want.toFixed(2)} J over ${run.durationS} s`);
    assert.ok(relErr(e.gpuCounterJ, want) < 0.01, `counter ${e.gpuCounterJ} J vs truth ${want} J`);
    assert.ok(relErr(e.gpuCounterJ, e.gpuIntegralJ) < 0.01, `counter ${e.gpuCounterJ} J vs integral ${e.gpuIntegralJ} J`);
    assert.ok(Math.abs(e.totalJ - (e.gpuJ + e.ramJ)) < 1e-9);
    assert.equal(run.epochs?.length, 3);
    const row = d.t.daemon.runs.byId(run.id);
    assert.ok(row);
    const devices = d.t.daemon.runs.devices(row.rid);
    const reader = new GpuEnergyReader(d.t.daemon.db);
    for (const ep of run.epochs ?? []) {
      const w = truth(d.profile, run, ep.startedAt, ep.endedAt as string);
      assert.ok(relErr(ep.gpuJ as number, w) < 0.01, `epoch ${ep.epoch}: ${ep.gpuJ} J vs truth ${w} J`);
      const byCounter = counterParts(reader, devices, [Date.parse(ep.startedAt), Date.parse(ep.endedAt as string)], { extrapolateMs: 0 });
      assert.ok(Math.abs((byCounter.gpu?.[0] ?? NaN) - (ep.gpuJ as number)) < 1e-6, `epoch ${ep.epoch} is the counter's difference`);
    }
    assert.equal(run.live.status, 'running');
    assert.equal(run.live.energy.gpuMethod, 'counter', `a running run reads the counter too (its tail extrapolated): ${run.live.energy.gpuNote}`);
    const liveTruth = truth(d.profile, run, run.startedAt, run.live.endedAt ?? new Date(Date.parse(run.startedAt) + run.live.durationS * 1000).toISOString());
    assert.ok(relErr(run.live.energy.gpuJ, liveTruth) < 0.02, `live ${run.live.energy.gpuJ} J vs truth ${liveTruth} J`);
    assert.match(formatRun(run), /gpu meter NVML counter .* \(used\) {2}∫ power\.draw .* {2}counter − integral -?\d+\.\d\d %/);
    assert.equal(resets(d.t), 0);
    assert.ok(reads(d.t) >= 2 * 20, `${reads(d.t)} counter reads stored (2 GPUs, 100 ms, > 2 s)`);
  });

  it('NOT_SUPPORTED on every GPU: the integral, with a note, and the sampler says why', async () => {
    const d = await daemonWith({ notSupported: [0, 1] });
    cur = d;
    const run = await recordRun(d.t);
    assertIntegral(run, /has no NVML energy counter readings/);
    const h = d.t.daemon.sampling.health().find((x) => x.name === 'nvml');
    assert.equal(h?.state, 'unavailable');
    assert.match(h?.message ?? '', /GPU-fa4e0000-\S+ has no energy counter; GPU-fa4e0001-\S+ has no energy counter/);
    assert.match(formatRun(run), /gpu meter ∫ power\.draw .* \(used\): GPU-fa4e0000/);
  });

  it('a counter that goes backwards mid-run (driver reload): the integral, with a note naming when', async () => {
    const d = await daemonWith({ resetAtMs: 1200 });
    cur = d;
    const run = await recordRun(d.t);
    assertIntegral(run, /the NVML energy counter went backwards at \d{4}-\d\d-\d\dT[\d:.]+Z \(driver reloaded\?\)/);
    assert.ok(resets(d.t) >= 1, 'the store marked the reset');
  });

  it('the library missing (a wrong path): the integral as without NVML, with a note; the sampler names the path', async () => {
    const d = await daemonWith({}, join(dir, 'no-such', 'libnvidia-ml.so.1'));
    cur = d;
    const run = await recordRun(d.t);
    assertIntegral(run, /has no NVML energy counter readings/);
    const h = d.t.daemon.sampling.health().find((x) => x.name === 'nvml');
    assert.equal(h?.state, 'unavailable');
    assert.match(h?.message ?? '', /no-such\/libnvidia-ml\.so\.1 could not be loaded/);
    const want = truth(d.profile, run, run.startedAt, run.endedAt as string);
    assert.ok(relErr(run.energy.gpuJ, want) < 0.01, `integral ${run.energy.gpuJ} J vs truth ${want} J`);
  });

  const mixed: [string, FakeNvmlSwitches][] = [['answers NOT_SUPPORTED', { notSupported: [1] }], ['is not seen by NVML', { gpuCount: 1 }]];
  for (const [what, sw] of mixed) {
    it(`one GPU with a counter and one that ${what}: the integral for the whole run, the note names the second`, async () => {
      const d = await daemonWith(sw);
      cur = d;
      const run = await recordRun(d.t);
      assert.equal(run.devices.length, 2);
      assertIntegral(run, /^GPU-fa4e0001-0000-4000-8000-000000000001 has no NVML energy counter readings/);
      assert.equal(d.t.daemon.sampling.health().find((x) => x.name === 'nvml')?.state, 'running');
    });
  }
});

const count = (t: TestDaemon, where: string): number =>
  t.daemon.db.prepare(`SELECT count(*) FROM gpu_energy ${where}`).pluck().get() as number;
const resets = (t: TestDaemon): number => count(t, 'WHERE reset = 1');
const reads = (t: TestDaemon): number => count(t, '');

/** gpuJ is the integral (never a zero), the counter figure absent, and a note matching `note`. */
function assertIntegral(run: RunJson & { live: RunJson }, note: RegExp): void {
  const e = run.energy;
  assert.equal(e.gpuMethod, 'integral');
  assert.equal(e.gpuCounterJ, null);
  assert.equal(e.gpuJ, e.gpuIntegralJ);
  assert.ok(e.gpuJ > 100, `GPU energy ${e.gpuJ} J is the integral, not a silent zero`);
  assert.match(e.gpuNote ?? '', note);
  for (const ep of run.epochs ?? []) assert.ok((ep.gpuJ ?? 0) > 0, `epoch ${ep.epoch} has integral GPU energy`);
  assert.equal(run.live.energy.gpuMethod, 'integral', 'the live view falls back as well');
  assert.equal(run.live.energy.gpuCounterJ, null);
}
