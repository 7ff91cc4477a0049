import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { PowerSeriesCache, powerSeries, seriesStepMs } from '../../../src/runs/power-series.js';
import { openDatabase } from '../../../src/store/db.js';
import { SampleReader } from '../../../src/store/sample-queries.js';
import { RunStore } from '../../../src/store/runs.js';
import { SampleStore } from '../../../src/store/samples.js';
import type { GpuSample } from '../../../src/samplers/types.js';

const U = ['GPU-aaaa0000-0000-0000-0000-000000000000', 'GPU-bbbb0000-0000-0000-0000-000000000000'];
const gpu = (t: number, uuid: string, index: number, powerW: number): GpuSample => ({ t, uuid, index, powerW, powerInstantW: null,
  powerLimitW: 300, utilGpuPct: 1, utilMemPct: 1, memUsedMiB: 1, memTotalMiB: 1, tempC: 1, smClockMHz: 1 });

function fixture(sampleMs = 200) {
  const home = mkdtempSync(path.join(tmpdir(), 'series-'));
  const cfg = loadConfig({ env: { PROFILER_HOME: home } });
  const db = openDatabase(path.join(home, 'profiler.db'));
  const runs = new RunStore(db);
  const samples = new SampleStore(db);
  const t0 = 1_700_000_000_000;
  const run = runs.create({ name: null, command: ['x'], cwd: null, startedAt: t0, expectedEpochs: null, clientPid: null, sampleMs, meta: {} });
  const ids = U.map((u) => samples.deviceId(u));
  return { cfg, db, run, samples, t0, ids, reader: new SampleReader(db) };
}

describe('the detector\'s series: the samples as recorded', () => {
  it('one point per nvidia-smi tick, the GPUs summed; a tick missing a GPU is NaN; nothing invented in a hole', () => {
    const f = fixture();
    // GPU 1's reading lags a few ms behind GPU 0's in the same tick, as with a real stream.
    for (let k = 0; k < 50; k++) {
      if (k === 20) continue; // a tick lost on both GPUs: a hole, not an interpolated point
      f.samples.addGpu([gpu(f.t0 + 200 * k, U[0]!, 0, 100 + k)]);
      if (k !== 30) f.samples.addGpu([gpu(f.t0 + 200 * k + 3, U[1]!, 1, 50)]);
    }
    f.samples.flush();
    const s = powerSeries(f.reader, f.run, f.ids, f.t0 + 60_000, f.cfg);
    assert.equal(s.t.length, 49, 'one point per tick that has a reading');
    assert.equal(s.powerW[0], 150);
    assert.equal(s.powerW[10], 160);
    assert.ok(!s.t.includes(f.t0 + 4000), 'the lost tick is not invented');
    assert.ok(Number.isNaN(s.powerW[29] as number), 'tick 30 lacks GPU 1');
    assert.equal(s.t[29], f.t0 + 6000);
    assert.equal(seriesStepMs(f.cfg, f.run), 200, 'the grid is the run\'s own sampling interval by default');
    f.db.close();
  });

  it('updated incrementally, equals the series read from scratch (late samples included)', () => {
    const f = fixture();
    const add = (from: number, to: number): void => {
      // GPU 1 reads 3 ms after GPU 0 in each tick, as a real stream does: a re-read must not split a tick.
      for (let t = from; t < to; t += 200) f.samples.addGpu(U.map((u, i) => gpu(t + 3 * i, u, i, 100 + i + (t % 7000) / 100)));
      f.samples.flush();
    };
    const cache = new PowerSeriesCache();
    add(f.t0, f.t0 + 30_000);
    cache.update(f.reader, f.run, f.ids, f.t0 + 31_000, f.cfg);
    // Samples stamped before the previous update's end that reached the store after it.
    for (let t = f.t0 + 30_000; t < f.t0 + 31_000; t += 200) f.samples.addGpu(U.map((u, i) => gpu(t + 3 * i, u, i, 7)));
    f.samples.flush();
    add(f.t0 + 31_000, f.t0 + 60_000);
    const inc = cache.update(f.reader, f.run, f.ids, f.t0 + 61_500, f.cfg);
    const fresh = powerSeries(f.reader, f.run, f.ids, f.t0 + 61_500, f.cfg);
    assert.equal(inc.t.length, 300);
    assert.deepEqual(Array.from(inc.t), Array.from(fresh.t));
    assert.deepEqual(Array.from(inc.powerW), Array.from(fresh.powerW));
    assert.ok(Array.from(inc.powerW).every(Number.isFinite), 'every tick complete: none split by the re-read');
    f.db.close();
  });

  it('a whole run far longer than the raw limit (no decision horizon) is read as SQL bin means, and says so', () => {
    const f = fixture(100);
    // 2 GPUs, a reading every 100 ms for 12 h: 432,000 ticks.
    for (let h = 0; h < 12; h++) {
      for (let t = h * 3_600_000; t < (h + 1) * 3_600_000; t += 100) f.samples.addGpu(U.map((u, i) => gpu(f.t0 + t, u, i, 100 + i)));
      f.samples.flush();
    }
    const cache = new PowerSeriesCache();
    const s = cache.update(f.reader, f.run, f.ids, f.t0 + 12 * 3_600_000, f.cfg);
    assert.ok(cache.coarseMs !== null && cache.coarseMs >= 400, `bin ${cache.coarseMs}`);
    assert.ok(s.t.length <= 100_000 && s.t.length > 1000, `${s.t.length} points`);
    assert.ok(Math.abs((s.powerW[5] as number) - 201) < 1e-9, 'the bin mean of both GPUs summed');
    const short = cache.update(f.reader, f.run, f.ids, f.t0 + 60_000, f.cfg);
    assert.equal(cache.coarseMs, null, 'a short stretch is read sample by sample again');
    assert.equal(short.t.length, 601, 'every tick in [start, +60 s]');
    f.db.close();
  });

  it('follows the samples, not the span a run claims: a year with three readings is three points', () => {
    const f = fixture();
    const year = 365 * 86_400_000;
    for (const t of [f.t0 + 10, f.t0 + year / 2, f.t0 + year]) f.samples.addGpu([gpu(t, U[0]!, 0, 123)]);
    f.samples.flush();
    const s = powerSeries(f.reader, f.run, [f.ids[0]!], f.t0 + year, f.cfg);
    assert.deepEqual(Array.from(s.powerW), [123, 123, 123]);
    assert.deepEqual(Array.from(s.t), [f.t0 + 10, f.t0 + year / 2, f.t0 + year]);
    f.db.close();
  });
});
