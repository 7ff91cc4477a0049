import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computeBaselines, MeanCache } from '../../../src/runs/baselines.js';
import { openDatabase } from '../../../src/store/db.js';
import { SampleReader } from '../../../src/store/sample-queries.js';
import { RunStore, type DeviceRow } from '../../../src/store/runs.js';
import { SampleStore } from '../../../src/store/samples.js';

describe('baselines (MLCO2, Green Algorithms)', () => {
  it('are TDP × t and (TDP × usage + 0.3725 W/GB × RAM GB) × t, and a running cache equals a fresh read', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'base-'));
    const db = openDatabase(path.join(home, 'profiler.db'));
    const runs = new RunStore(db);
    const samples = new SampleStore(db);
    const t0 = 1_700_000_000_000;
    const run = runs.create({ name: null, command: ['x'], cwd: null, startedAt: t0, expectedEpochs: null, clientPid: null, sampleMs: 1000, meta: {} });
    const id = samples.deviceId('GPU-cccc0000-0000-0000-0000-000000000000');
    db.prepare('UPDATE devices SET power_limit_w = 300 WHERE id = ?').run(id);
    for (let t = t0; t <= t0 + 100_000; t += 1000) {
      samples.addGpu([{ t, uuid: 'GPU-cccc0000-0000-0000-0000-000000000000', index: 0, powerW: 200, powerInstantW: null, powerLimitW: 300,
        utilGpuPct: t < t0 + 50_000 ? 40 : 80, utilMemPct: 1, memUsedMiB: 1, memTotalMiB: 1, tempC: 1, smClockMHz: 1 }]);
      samples.addProc({ rid: run.rid, t, rssBytes: 4e9, cpuPct: 1, nProcs: 1 });
    }
    samples.flush();
    const dev = runs.allDevices()[0] as DeviceRow;
    const cache = new MeanCache();
    computeBaselines(new SampleReader(db), run.rid, [dev], t0, t0 + 40_000, cache); // an earlier GET of the running run
    const b = computeBaselines(new SampleReader(db), run.rid, [dev], t0, t0 + 100_000, cache);
    const fresh = computeBaselines(new SampleReader(db), run.rid, [dev], t0, t0 + 100_000);
    assert.deepEqual(b, fresh);
    assert.equal(b.mlco2J, 300 * 100);
    const usage = (50 * 0.4 + 51 * 0.8) / 101;
    assert.ok(Math.abs((b.greenAlgorithmsJ as number) - (300 * usage + 0.3725 * 4) * 100) < 1e-6);
    assert.deepEqual(computeBaselines(new SampleReader(db), run.rid, [], t0, t0 + 1), { mlco2J: null, greenAlgorithmsJ: null });
    db.close();
  });
});

describe('TDP of a device', () => {
  it('is its power limit, else its max limit, else the known board power of its model', async () => {
    const { tdpOf } = await import('../../../src/runs/baselines.js');
    assert.equal(tdpOf({ power_limit_w: 280, max_power_limit_w: 350, name: 'NVIDIA GeForce RTX 3090' }), 280);
    assert.equal(tdpOf({ power_limit_w: null, max_power_limit_w: 350, name: 'x' }), 350);
    assert.equal(tdpOf({ power_limit_w: null, max_power_limit_w: null, name: 'NVIDIA GeForce RTX 3090' }), 350);
    assert.equal(tdpOf({ power_limit_w: null, max_power_limit_w: null, name: 'NVIDIA A10G' }), 300, 'A10G, not A10');
    assert.equal(tdpOf({ power_limit_w: null, max_power_limit_w: null, name: 'NVIDIA H100 80GB HBM3' }), 700);
    assert.equal(tdpOf({ power_limit_w: null, max_power_limit_w: null, name: 'Unknown Accelerator' }), null);
    // Whole words: an A100 that is no key is not taken for an A10 (150 W).
    assert.equal(tdpOf({ power_limit_w: null, max_power_limit_w: null, name: 'NVIDIA A100 80GB HBM2e' }), null);
  });
});
