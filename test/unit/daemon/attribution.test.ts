import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { matchGpuList } from '../../../src/daemon/attribution.js';
import { Attributor } from '../../../src/daemon/attributor.js';
import type { ComputeApp } from '../../../src/samplers/nvidia-smi-parse.js';
import { openDatabase } from '../../../src/store/db.js';
import { RunStore, type DeviceRow } from '../../../src/store/runs.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

const dev = (id: number, idx: number, uuid: string, mig: string[] = []): DeviceRow => ({
  id, uuid, idx, name: 'X', power_limit_w: 300, max_power_limit_w: 300, mem_total_mib: 1, mig_uuids: mig,
  driver_version: null, cuda_version: null,
});
const devices = [
  dev(1, 0, 'GPU-aaaa1111-0000-0000-0000-000000000000'),
  dev(2, 1, 'GPU-bbbb2222-0000-0000-0000-000000000000', ['MIG-cccc3333-0000-0000-0000-000000000000']),
  dev(3, 2, 'GPU-bbbb4444-0000-0000-0000-000000000000'),
];
const ids = (list: string) => matchGpuList(list, devices).devices.map((d) => d.id);

describe('CUDA_VISIBLE_DEVICES / --gpus matching', () => {
  it('matches indices, full UUIDs, unique prefixes and MIG UUIDs', () => {
    assert.deepEqual(ids('0,2'), [1, 3]);
    assert.deepEqual(ids('GPU-aaaa1111-0000-0000-0000-000000000000'), [1]);
    assert.deepEqual(ids('GPU-aaaa'), [1]);
    assert.deepEqual(ids('aaaa'), [1]);
    assert.deepEqual(ids('MIG-cccc3333-0000-0000-0000-000000000000'), [2]);
  });
  it('an ambiguous prefix or unknown entry is reported, not guessed', () => {
    const r = matchGpuList('GPU-bbbb,7', devices);
    assert.deepEqual(r.devices, []);
    assert.deepEqual(r.unmatched, ['GPU-bbbb', '7']);
  });
  it('stops at an invalid entry like CUDA does, and an empty list means no GPU', () => {
    assert.deepEqual(ids('1,-1,0'), [2]);
    assert.deepEqual(ids(''), []);
  });
});

describe('compute-apps polling (Attributor) on a fake scheduler', () => {
  const GPU = 'GPU-aaaa1111-0000-0000-0000-000000000000';
  function setup(found: () => boolean) {
    const clock = new FakeScheduler();
    const db = openDatabase(':memory:');
    db.prepare('INSERT INTO devices (uuid, idx, updated_at) VALUES (?, 0, 0)').run(GPU);
    const runs = new RunStore(db);
    const polls: number[] = [];
    const computeApps = async (): Promise<ComputeApp[]> => {
      polls.push(clock.now());
      return found() ? [{ pid: 42, gpuUuid: GPU, usedMiB: 100 }] : [];
    };
    const changes: string[] = [];
    const attributor = new Attributor(runs, pino({ level: 'silent' }), computeApps, () => [42],
      (_run, source) => changes.push(source), 1000, () => new Set(runs.allDevices().map((d) => d.id)), clock);
    const run = runs.create({ name: null, command: ['x'], cwd: null, startedAt: clock.now(), expectedEpochs: null, clientPid: null,
      sampleMs: 100, meta: {} });
    attributor.assign(run, { cudaVisibleDevices: null, gpus: null });
    const since = (): number[] => polls.map((t) => t - run.started_at);
    return { clock, db, runs, run, attributor, changes, since };
  }

  it('backs off while nothing is found: the interval doubles per miss, up to 30 × computeAppsPollMs', async () => {
    const s = setup(() => false);
    await s.clock.advance(200_000);
    assert.deepEqual(s.since().slice(0, 8), [1000, 3000, 7000, 15000, 31000, 61000, 91000, 121000]);
    assert.deepEqual(s.changes, ['all']);
    const before = s.since().length;
    s.attributor.release(s.run.id);
    assert.equal(s.clock.pending, 0, 'release stops the polling');
    await s.clock.advance(100_000);
    assert.equal(s.since().length, before);
    s.db.close();
  });

  it('a find attributes the run\'s GPU and resets the back-off', async () => {
    let found = false;
    const s = setup(() => found);
    await s.clock.advance(7000);
    assert.equal(s.since().length, 3);
    found = true;
    await s.clock.advance(8000);
    assert.deepEqual(s.changes, ['all', 'compute_apps']);
    assert.deepEqual(s.runs.devices(s.run.rid).map((d) => d.uuid), [GPU]);
    await s.clock.advance(3000);
    assert.deepEqual(s.since().slice(3), [15000, 16000, 18000], 'back to one interval after the find');
    s.attributor.close();
    assert.equal(s.clock.pending, 0);
    s.db.close();
  });
});
