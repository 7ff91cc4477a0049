import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import { GpuRegistry } from '../../../src/daemon/gpu-registry.js';
import { Recorder } from '../../../src/daemon/recorder.js';
import { openRunSet, type RunSet } from '../../../src/runs/open.js';
import type { GpuSample } from '../../../src/samplers/types.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

const silent = pino({ level: 'silent' });
const full = (): Error => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

function withSet(fn: (set: RunSet, time: FakeScheduler) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const home = mkdtempSync(join(tmpdir(), 'held-'));
    const time = new FakeScheduler();
    const set = openRunSet(loadConfig({ env: { PROFILER_HOME: home } }), { clock: time });
    try {
      await fn(set, time);
    } finally {
      set.close();
      rmSync(home, { recursive: true, force: true });
    }
  };
}

const sample = (uuid: string, t: number, powerW: number): GpuSample => ({ t, uuid, index: 0, powerW, powerInstantW: null,
  powerLimitW: 300, utilGpuPct: 90, utilMemPct: 40, memUsedMiB: 1000, memTotalMiB: 16384, tempC: 60, smClockMHz: 1800 });

describe('a full disk loses no run record', () => {
  it('runs sealed while samples were held are sealed again, with them, once they are written (and only then)', withSet(async (set, time) => {
    const rec = new Recorder(set.cfg, silent, set.runs, set.epochs, set.samples, set.energy, {
      onRunStarted: () => {}, onAttach: () => {}, onRunEnded: () => {}, waitForSamples: async () => {},
      emit: () => {}, afterSeal: async () => {},
    }, () => time.now(), time);
    const uuid = 'GPU-held-0000';
    const dev = set.samples.deviceId(uuid);
    const start = (name: string) => {
      const run = rec.start({ name, command: ['x'], cwd: null, pid: null, startedAt: time.now(), expectedEpochs: null,
        cudaVisibleDevices: null, gpus: null, meta: {} });
      set.runs.setDevices(run.rid, [dev], 'flag');
      return run;
    };
    // A run that ends before the disk fills: sealed with its samples, never sealed again.
    const before = start('before');
    const t0 = time.now();
    for (let k = 0; k <= 20; k++) set.samples.addGpu([sample(uuid, t0 + k * 100, 100)]);
    await time.advance(2000);
    const sealedBefore = await rec.finish(set.runs.byId(before.id)!, { exitCode: 0, signal: null, endedAt: time.now() });
    assert.ok((sealedBefore.energy?.gpuJ ?? 0) > 190);
    // The disk fills: samples wait in memory, so the next run is sealed without them.
    const held = start('held');
    set.samples.held = true;
    const t1 = time.now();
    for (let k = 1; k <= 30; k++) set.samples.addGpu([sample(uuid, t1 + k * 100, 200)]);
    await time.advance(3000);
    const first = await rec.finish(set.runs.byId(held.id)!, { exitCode: 3, signal: null, endedAt: time.now() });
    assert.equal(first.energy?.gpuJ, 0, 'its samples are not stored yet');
    assert.deepEqual(rec.resealHeld(), [], 'still held: nothing sealed again, the run waits');
    set.samples.held = false;
    const again = rec.resealHeld();
    assert.deepEqual(again.map((r) => r.id), [held.id], 'only the run sealed while samples were held');
    const gpuJ = again[0]?.energy?.gpuJ ?? 0;
    assert.ok(gpuJ > 550 && gpuJ < 650, `about 3 s at 200 W, got ${gpuJ} J`);
    assert.equal(again[0]?.status, 'failed', 'its outcome is kept');
    assert.deepEqual(rec.resealHeld(), [], 'sealed again once');
    rec.close();
  }));

  it('a device row the disk refused is written with the next batch, and the device still counts as new then', withSet((set, time) => {
    let refuse = 1;
    const write = <T>(fn: () => T): T => {
      if (refuse-- > 0) throw full();
      return fn();
    };
    const registry = new GpuRegistry(set.devices, set.samples, silent, async () => ({ devices: [], warnings: [] }), time, write);
    assert.throws(() => registry.noteIndex('GPU-late-0001', 0, 300), { code: 'SQLITE_FULL' });
    assert.equal(registry.presentIds().size, 0);
    assert.equal(registry.noteIndex('GPU-late-0001', 0, 300), true, 'new on the next batch: runs waiting for GPUs get it');
    assert.equal(registry.presentIds().size, 1);
    assert.equal(registry.noteIndex('GPU-late-0001', 0, 300), false, 'then known');
    assert.equal(set.runs.allDevices().find((d) => d.uuid === 'GPU-late-0001')?.idx, 0);
  }));
});
