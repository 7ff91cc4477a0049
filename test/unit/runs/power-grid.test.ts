import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { PowerGridCache, powerGrid } from '../../../src/runs/analysis.js';
import { openDatabase } from '../../../src/store/db.js';
import { SampleReader } from '../../../src/store/sample-queries.js';
import { RunStore } from '../../../src/store/runs.js';
import { SampleStore } from '../../../src/store/samples.js';

describe('power grid for the detector', () => {
  it('updated incrementally, equals a grid computed from scratch (late samples included)', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'grid-'));
    const cfg = loadConfig({ env: { PROFILER_HOME: home } });
    const db = openDatabase(path.join(home, 'profiler.db'));
    const runs = new RunStore(db);
    const samples = new SampleStore(db);
    const t0 = 1_700_000_000_000;
    const run = runs.create({ name: null, command: ['x'], cwd: null, startedAt: t0, expectedEpochs: null, clientPid: null, sampleMs: 200, meta: {} });
    const devs = ['GPU-aaaa0000-0000-0000-0000-000000000000', 'GPU-bbbb0000-0000-0000-0000-000000000000'].map((u) => ({ u, id: samples.deviceId(u) }));
    const add = (from: number, to: number): void => {
      for (let t = from; t < to; t += 200) {
        samples.addGpu(devs.map(({ u }, i) => ({ t, uuid: u, index: i, powerW: 100 + i + (t % 7000) / 100, powerInstantW: null, powerLimitW: 300,
          utilGpuPct: 1, utilMemPct: 1, memUsedMiB: 1, memTotalMiB: 1, tempC: 1, smClockMHz: 1 })));
      }
      for (let t = from; t < to; t += 1000) samples.addProc({ rid: run.rid, t, rssBytes: 2 ** 30 + t - t0, cpuPct: 1, nProcs: 1 });
      samples.flush();
    };
    const ids = devs.map((d) => d.id);
    const cache = new PowerGridCache();
    add(t0, t0 + 30_000);
    cache.update(new SampleReader(db), run, ids, t0 + 31_000, cfg);
    add(t0 + 30_000, t0 + 60_000); // includes samples for bins the first update saw as still empty
    const inc = cache.update(new SampleReader(db), run, ids, t0 + 61_500, cfg);
    const fresh = powerGrid(new SampleReader(db), run, ids, t0 + 61_500, cfg);
    assert.equal(inc.t.length, 60, 'one point per bin holding samples (none invented after the last sample)');
    assert.deepEqual(Array.from(inc.t), Array.from(fresh.t));
    assert.deepEqual(Array.from(inc.powerW), Array.from(fresh.powerW));
    assert.ok(Number.isFinite(inc.powerW[45] as number));
    db.close();
  });

  it('follows the samples, not the span a run claims: a year with three readings is a few points', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'grid-'));
    const cfg = loadConfig({ env: { PROFILER_HOME: home } });
    const db = openDatabase(path.join(home, 'profiler.db'));
    const runs = new RunStore(db);
    const samples = new SampleStore(db);
    const year = 365 * 86_400_000;
    const t0 = 1_700_000_000_000;
    const run = runs.create({ name: null, command: ['x'], cwd: null, startedAt: t0, expectedEpochs: null, clientPid: null, sampleMs: 200, meta: {} });
    const u = 'GPU-cccc0000-0000-0000-0000-000000000000';
    const id = samples.deviceId(u);
    for (const t of [t0 + 10, t0 + year / 2, t0 + year]) {
      samples.addGpu([{ t, uuid: u, index: 0, powerW: 123, powerInstantW: null, powerLimitW: 300, utilGpuPct: 1, utilMemPct: 1,
        memUsedMiB: 1, memTotalMiB: 1, tempC: 1, smClockMHz: 1 }]);
    }
    samples.flush();
    const before = process.memoryUsage().arrayBuffers;
    const g = powerGrid(new SampleReader(db), run, [id], t0 + year, cfg);
    assert.ok(process.memoryUsage().arrayBuffers - before < 10 * 1048576, 'no allocation proportional to the year');
    assert.equal(g.t.length, 3 + 2 * 64, 'three readings and two holes of at most MAX_HOLE points');
    assert.deepEqual([g.powerW[0], g.powerW[65], g.powerW[130]], [123, 123, 123]);
    assert.ok(Number.isNaN(g.powerW[1] as number) && Number.isNaN(g.powerW[64] as number), 'a long hole stays a hole');
    assert.ok((g.t[130] as number) > t0 + year - 1000, 'times are kept: the last point is at the end of the year');
    for (let i = 1; i < g.t.length; i++) assert.ok((g.t[i] as number) > (g.t[i - 1] as number), 'ascending times');
    db.close();
  });
});
