import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import { SAMPLERS } from '../../../src/samplers/registry.js';
import type { GpuEnergySample, GpuGap, GpuSample, Sampler, SamplerContext, SamplerHealth } from '../../../src/samplers/types.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';
import { fakeGpuEnv, fakeNvmlLibrary, setEnv } from '../../helpers/fake-nvml.js';

// The NVML sampler reads the fake library, replaying a one-GPU profile (the library reads its env at nvmlInit).
const nvmlDir = mkdtempSync(path.join(tmpdir(), 'contract-nvml-'));
setEnv(fakeGpuEnv(nvmlDir, { t0: Date.now(), gpus: [{ uuid: 'GPU-c0000000-0000-4000-8000-000000000000', name: 'Fake', powerLimitW: 300,
  memTotalMiB: 1024, segments: [{ durationS: 60, fromW: 100, toW: 200 }] }] }));
const nvmlLibrary = fakeNvmlLibrary();

const STATES = ['idle', 'running', 'restarting', 'unavailable', 'failed'];
const KINDS: Record<string, string> = { 'host-memory': 'host-memory', rapl: 'cpu-energy', 'process-tree': 'process-trees' };

/** The context every registered sampler gets, on fixtures where a sampler reads the OS and on a fake scheduler. */
function context(targets: { runId: string; pid: number }[] = []) {
  const clock = new FakeScheduler();
  const pushed: { gpu: GpuSample[]; gaps: GpuGap[]; energy: GpuEnergySample[]; health: SamplerHealth[] } = { gpu: [], gaps: [], energy: [], health: [] };
  const cfg = loadConfig({
    env: { PROFILER_HOME: '/nonexistent/profiler-test-home' },
    overrides: {
      nvidiaSmi: path.resolve('scripts/fake-nvidia-smi'),
      nvmlLibrary,
      powercapRoot: path.resolve('test/fixtures/powercap/intel-1pkg'),
      sampleMs: 100,
      watchdogIntervals: 50,
    },
  });
  const ctx: SamplerContext = {
    cfg, clock, scheduler: clock, log: pino({ level: 'silent' }), targets: () => targets,
    sink: {
      gpu: (s) => pushed.gpu.push(...s), gap: (g) => pushed.gaps.push(g), gpuEnergy: (e) => pushed.energy.push(...e),
      health: (h) => pushed.health.push(h),
    },
  };
  return { clock, ctx, pushed };
}

function assertHealth(s: Sampler, name: string): SamplerHealth {
  const h = s.health();
  assert.deepEqual(Object.keys(h).sort(), ['lastSampleAt', 'message', 'name', 'restarts', 'state']);
  assert.equal(h.name, name);
  assert.ok(STATES.includes(h.state), h.state);
  assert.ok(h.lastSampleAt === null || Number.isFinite(h.lastSampleAt));
  assert.ok(Number.isInteger(h.restarts) && h.restarts >= 0);
  assert.ok(h.message === null || typeof h.message === 'string');
  assert.notEqual(s.health(), s.health(), 'health() hands out a copy');
  return h;
}

describe('every registered sampler keeps the Sampler contract', () => {
  it('the registry lists each sampler once, by name', () => {
    const names = SAMPLERS.map((f) => f.name);
    assert.deepEqual(names, ['nvidia-smi', 'nvml', 'host-memory', 'process-tree', 'rapl']);
    assert.equal(new Set(names).size, names.length);
  });

  for (const f of SAMPLERS) {
    it(`${f.name}: named, a valid health, idempotent start/stop that leave no timer behind`, async () => {
      const { clock, ctx } = context([{ runId: 'r1', pid: process.pid }]);
      const s = f.create(ctx);
      assert.equal(s.name, f.name);
      assert.ok(s.kind === 'periodic' || s.kind === 'stream');
      assert.ok(['idle', 'unavailable'].includes(assertHealth(s, f.name).state), 'not running before start');
      await s.start();
      await s.start();
      assertHealth(s, f.name);
      if (s.kind === 'periodic') {
        const r = await s.sample();
        assert.ok(r === null || r.kind === KINDS[f.name], JSON.stringify(r));
        if (r) assert.equal(s.health().lastSampleAt, r.t);
      }
      await s.stop();
      await s.stop();
      assert.ok(['idle', 'unavailable'].includes(assertHealth(s, f.name).state));
      assert.equal(clock.pending, 0, 'no timer left on the scheduler');
      if (s.kind === 'periodic') assert.equal(await s.sample(), null, 'a stopped sampler does not read');
    });
  }

  for (const f of SAMPLERS) {
    it(`${f.name}: can be started again after a stop`, async () => {
      const { clock, ctx } = context();
      const s = f.create(ctx);
      for (let i = 0; i < 2; i++) {
        await s.start();
        await s.stop();
      }
      assertHealth(s, f.name);
      assert.equal(clock.pending, 0);
    });
  }

  for (const f of SAMPLERS.filter((x) => x.create(context().ctx).kind === 'periodic')) {
    it(`${f.name}: a timeout from the loop shows in its health until it answers again`, async () => {
      const { ctx } = context([{ runId: 'r1', pid: process.pid }]);
      const s = f.create(ctx);
      if (s.kind !== 'periodic') return;
      await s.start();
      if (s.health().state === 'unavailable') return void (await s.stop());
      s.timedOut(1234);
      assert.equal(s.health().state, 'failed');
      assert.match(s.health().message ?? '', /1234 ms/);
      await s.sample();
      assert.doesNotMatch(s.health().message ?? '', /1234 ms/);
      await s.stop();
    });
  }
});
