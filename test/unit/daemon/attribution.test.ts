import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchGpuList } from '../../../src/daemon/attribution.js';
import type { DeviceRow } from '../../../src/store/runs.js';

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
