import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { ProfilerError } from '../../../src/errors.js';
import { loadNvml, NVML_ERRORS, nvmlFindable, nvmlMessage, NvmlError, type Nvml } from '../../../src/samplers/nvml.js';
import { createNvmlSampler } from '../../../src/samplers/nvml-sampler.js';
import type { GpuEnergySample, SamplerHealth } from '../../../src/samplers/types.js';
import type { FakeGpu, FakeProfile } from '../../../scripts/fake-smi/profile.mjs';
import { FakeScheduler } from '../../helpers/fake-clock.js';
import { fakeGpuEnv, fakeNvmlLibrary, setEnv, type FakeNvmlSwitches } from '../../helpers/fake-nvml.js';

type ProfileLib = typeof import('../../../scripts/fake-smi/profile.mjs');
const lib = (await import(pathToFileURL(path.resolve('scripts/fake-smi/profile.mjs')).href)) as ProfileLib;

const dir = mkdtempSync(join(tmpdir(), 'nvml-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const LOADED_MS = 3_600_000; // the fake "driver" loaded an hour before t0 (fake-nvml.c)

/** The fake nvidia-smi's default profile from 3 s in, and the fake library set to replay it. */
function replay(sw: FakeNvmlSwitches = {}): { profile: FakeProfile & { t0: number }; undo: () => void } {
  const profile = { ...structuredClone(lib.DEFAULT_PROFILE), t0: Date.now() - 3000 } as FakeProfile & { t0: number };
  return { profile, undo: setEnv(fakeGpuEnv(dir, profile, sw)) };
}

/** Runs fn with the library initialised under the switches, shut down afterwards. */
function withNvml(sw: FakeNvmlSwitches, fn: (n: Nvml, profile: FakeProfile & { t0: number }) => void): void {
  const { profile, undo } = replay(sw);
  const n = loadNvml(fakeNvmlLibrary());
  n.init();
  try {
    fn(n, profile);
  } finally {
    n.shutdown();
    undo();
  }
}

const codeOf = (fn: () => unknown): number => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof NvmlError, String(err));
    return err.nvmlCode;
  }
  return 0;
};

describe('the NVML binding (koffi) on the fake libnvidia-ml.so.1', () => {
  it('init, count, UUIDs, power and the energy counter: the exact integral of the fake nvidia-smi profile', () => {
    withNvml({}, (n, profile) => {
      assert.equal(n.deviceCount(), 2);
      for (let i = 0; i < 2; i++) {
        const g = profile.gpus[i] as FakeGpu;
        const h = n.handle(i);
        assert.equal(n.uuid(h), g.uuid);
        const before = Date.now();
        const mj = n.totalEnergyMj(h);
        const mw = n.powerMw(h);
        const afterT = Date.now() + 1; // Date.now() floors to the ms: the library's own reads lie before this
        const lo = lib.energyBetween(g, profile.t0 - LOADED_MS, before, profile.t0) * 1000;
        const hi = lib.energyBetween(g, profile.t0 - LOADED_MS, afterT, profile.t0) * 1000;
        assert.ok(Number.isInteger(mj) && mj >= Math.floor(lo) - 1 && mj <= hi + 1, `${mj} mJ within [${lo}, ${hi}]`);
        const watts = [lib.powerAt(g, before, profile.t0), lib.powerAt(g, afterT, profile.t0)];
        assert.ok(mw >= Math.min(...watts) * 1000 - 1 && mw <= Math.max(...watts) * 1000 + 1, `${mw} mW vs ${watts} W`);
      }
      assert.equal(codeOf(() => n.handle(2)), 2, 'an index past the count: Invalid Argument');
    });
  });

  it('maps NVML errors to their message: NOT_SUPPORTED, calls before init, every code', () => {
    withNvml({ notSupported: [1], gpuCount: 2 }, (n) => {
      assert.equal(codeOf(() => n.totalEnergyMj(n.handle(1))), 3);
      assert.throws(() => n.totalEnergyMj(n.handle(1)), /nvmlDeviceGetTotalEnergyConsumption: the device does not support this call \(Not Supported/);
      assert.ok(n.totalEnergyMj(n.handle(0)) > 0, 'the other GPU still has its counter');
    });
    const n = loadNvml(fakeNvmlLibrary());
    assert.equal(codeOf(() => n.deviceCount()), 1, 'before init: Uninitialized');
    assert.throws(() => n.shutdown(), /nvmlShutdown: NVML was not initialized/);
    const { undo } = replay();
    delete process.env.FAKE_NVML_PROFILE;
    assert.throws(() => n.init(), (err: unknown) => err instanceof NvmlError && err.nvmlCode === 9 && /Driver Not Loaded/.test(err.message));
    undo();
    for (const code of [...Array.from({ length: 29 }, (_, i) => i + 1), 999]) {
      assert.match(NVML_ERRORS[code] ?? '', /\(.+\)$/, `code ${code} has a message naming NVML's own`);
    }
    assert.equal(nvmlMessage(4242), 'NVML error 4242');
    withNvml({ gpuCount: 1 }, (m) => assert.equal(m.deviceCount(), 1));
  });

  it('a library that cannot be loaded, or is not NVML, is one clear error naming it', () => {
    const missing = join(dir, 'nope', 'libnvidia-ml.so.1');
    assert.throws(() => loadNvml(missing), (err: unknown) =>
      err instanceof ProfilerError && err.code === 'PROF_ERR_IO' && err.message.startsWith(`NVML library ${missing} could not be loaded: `));
    assert.throws(() => loadNvml('libc.so.6'), /NVML library libc\.so\.6 lacks int nvmlInit_v2\(void\)/);
  });
});

/** The sampler on a fake scheduler with what it pushes. */
function sampler(o: { library?: string; load?: (l: string) => Nvml } = {}) {
  const clock = new FakeScheduler();
  const energy: GpuEnergySample[][] = [];
  const health: SamplerHealth[] = [];
  const warnings: unknown[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const s = createNvmlSampler({
    library: o.library ?? fakeNvmlLibrary(), intervalMs: 100, clock, scheduler: clock, log, load: o.load,
    sink: { gpu: () => {}, gap: () => {}, gpuEnergy: (e) => energy.push(e), health: (h) => health.push(h) },
  });
  return { s, clock, energy, health, warnings };
}

describe('the nvml sampler', () => {
  it('reads every GPU\'s counter at start and each interval, then stops leaving no timer', async () => {
    const { undo } = replay();
    const { s, clock, energy } = sampler();
    await s.start();
    assert.equal(s.health().state, 'running');
    assert.equal(energy.length, 1, 'a first read at once, before any run begins');
    await clock.advance(300);
    assert.equal(energy.length, 4);
    for (const batch of energy) assert.deepEqual(batch.map((e) => e.uuid), lib.DEFAULT_PROFILE.gpus.map((g) => g.uuid));
    assert.deepEqual(energy.map((b) => b[0]?.t), [0, 100, 200, 300].map((d) => 1_700_000_000_000 + d), 'stamped by the injected clock');
    assert.equal(s.health().lastSampleAt, clock.now());
    await s.stop();
    assert.equal(s.health().state, 'idle');
    assert.equal(clock.pending, 0);
    undo();
  });

  it('a GPU without the counter is left out and named; none with one: unavailable, no timer', async () => {
    let r = replay({ notSupported: [1] });
    const one = sampler();
    await one.s.start();
    assert.deepEqual(one.energy[0]?.map((e) => e.uuid), [lib.DEFAULT_PROFILE.gpus[0]?.uuid]);
    assert.equal(one.s.health().state, 'running');
    assert.match(one.s.health().message ?? '', /GPU-fa4e0001-\S+ has no energy counter \(runs on it use the power integral\)/);
    await one.clock.advance(100);
    assert.match(one.s.health().message ?? '', /has no energy counter/, 'still said after good reads');
    await one.s.stop();
    r.undo();
    r = replay({ notSupported: [0, 1] });
    const none = sampler();
    await none.s.start();
    assert.equal(none.s.health().state, 'unavailable');
    assert.match(none.s.health().message ?? '', /^NVML energy counter not read \(GPU-fa4e0000-\S+ has no energy counter; GPU-fa4e0001-\S+ has no energy counter\)/);
    assert.equal(none.energy.length, 0);
    assert.equal(none.clock.pending, 0);
    await none.s.stop();
    assert.equal(none.s.health().state, 'unavailable');
    r.undo();
  });

  it('a missing library: unavailable, naming it, and start/stop stay harmless', async () => {
    const { s, clock, health } = sampler({ library: join(dir, 'missing.so') });
    for (let i = 0; i < 2; i++) {
      await s.start();
      await s.stop();
    }
    assert.equal(s.health().state, 'unavailable');
    assert.match(s.health().message ?? '', /missing\.so could not be loaded.*GPU energy is the power integral/);
    assert.equal(health.length, 1, 'the sink hears of it once');
    assert.equal(clock.pending, 0);
  });

  it('a counter going backwards is logged and still stored; a failing read fails the health, others go on', async () => {
    let a = 1000;
    let failB = false;
    const fake: Nvml = {
      init() {}, shutdown() {}, deviceCount: () => 2, handle: (i) => i, uuid: (h) => `GPU-${String(h)}`, powerMw: () => 0,
      totalEnergyMj(h) {
        if (h === 1 && failB) throw new NvmlError(15, 'nvmlDeviceGetTotalEnergyConsumption');
        return h === 0 ? a : 7;
      },
    };
    const { s, clock, energy, warnings } = sampler({ load: () => fake });
    await s.start();
    a = 10;
    failB = true;
    await clock.advance(100);
    assert.deepEqual(energy[1], [{ t: clock.now(), uuid: 'GPU-0', energyMj: 10 }]);
    assert.match(String(warnings[0]), /NVML energy counter went backwards/);
    assert.equal(s.health().state, 'failed');
    assert.match(s.health().message ?? '', /GPU-1: nvmlDeviceGetTotalEnergyConsumption: the GPU has fallen off the bus/);
    failB = false;
    await clock.advance(100);
    assert.equal(s.health().state, 'running');
    await s.stop();
  });
});

describe('nvmlFindable: the loader is tried only where it could find the library', () => {
  it('a path must exist; a name is looked up in LD_LIBRARY_PATH, the system folders and ld.so.cache', () => {
    const d = mkdtempSync(join(tmpdir(), 'nvml-find-'));
    try {
      writeFileSync(join(d, 'libfake.so.1'), '');
      const cache = join(d, 'ld.so.cache');
      writeFileSync(cache, 'glibc-ld.so.cache1.1\0libother.so.2\0/usr/lib/libother.so.2\0');
      assert.equal(nvmlFindable(join(d, 'libfake.so.1'), {}, cache), true);
      assert.equal(nvmlFindable(join(d, 'nope.so'), {}, cache), false);
      assert.equal(nvmlFindable('libfake.so.1', { LD_LIBRARY_PATH: `/nonexistent:${d}` }, cache), true);
      assert.equal(nvmlFindable('libnvidia-ml-test-absent.so.1', {}, cache), false);
      assert.equal(nvmlFindable('libother.so.2', {}, cache), true, 'named in the cache');
      assert.equal(nvmlFindable('libnvidia-ml-test-absent.so.1', {}, join(d, 'no-cache')), true, 'no cache: let the loader try');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
