import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { EnergyService } from '../../../src/runs/energy.js';
import { openDatabase } from '../../../src/store/db.js';
import { EpochStore } from '../../../src/store/epochs.js';
import { RunStore, type RunRow } from '../../../src/store/runs.js';
import { SampleStore } from '../../../src/store/samples.js';

describe('live energy of a running run: stored prefix + open tail', () => {
  it('equals the whole-run integration, whatever the number of prefix steps, gaps included', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'prefix-'));
    const cfg = loadConfig({ env: { PROFILER_HOME: home } });
    const db = openDatabase(path.join(home, 'profiler.db'));
    const runs = new RunStore(db);
    const epochs = new EpochStore(db);
    const samples = new SampleStore(db);
    const svc = new EnergyService(cfg, runs, epochs, samples);
    const t0 = 1_700_000_000_000;
    const run0 = runs.create({ name: null, command: ['x'], cwd: null, startedAt: t0, expectedEpochs: null, clientPid: null, sampleMs: 200, meta: {} });
    const devs = ['GPU-aaaa0000-0000-0000-0000-000000000000', 'GPU-bbbb0000-0000-0000-0000-000000000000'];
    const rows = [];
    for (let t = t0 - 150; t < t0 + 60_000; t += 200) {
      if (t > t0 + 20_000 && t < t0 + 23_000) continue; // a gap longer than 3 intervals
      for (const [i, uuid] of devs.entries()) {
        rows.push({ t, uuid, index: i, powerW: 100 + i * 50 + 40 * Math.sin(t / 3000), powerInstantW: null, powerLimitW: 300,
          utilGpuPct: 50, utilMemPct: 10, memUsedMiB: 1, memTotalMiB: 2, tempC: 40, smClockMHz: 1000 });
      }
    }
    samples.addGpu(rows);
    for (let t = t0; t < t0 + 60_000; t += 1000) samples.addProc({ rid: run0.rid, t, rssBytes: 2 ** 30, cpuPct: 100, nProcs: 1 });
    samples.flush();
    runs.setDevices(run0.rid, devs.map((u) => samples.deviceId(u)), 'flag');
    let run = runs.byId(run0.id) as RunRow;
    const now = t0 + 55_555;
    const whole = svc.compute(run, now).energy;
    for (const until of [t0 + 7_000, t0 + 19_900, t0 + 31_234, t0 + 50_000]) {
      svc.advancePrefix(run, until);
      run = runs.byId(run0.id) as RunRow;
      const live = svc.live(run, now);
      assert.ok(Math.abs(live.gpuJ - whole.gpuJ) < 1e-9 * whole.gpuJ, `prefix to ${until - t0}: ${live.gpuJ} vs ${whole.gpuJ}`);
      assert.ok(Math.abs(live.ramJ - whole.ramJ) < 1e-9 * whole.ramJ);
      assert.equal(live.gapCount, whole.gaps.length);
      assert.ok(Math.abs(live.gpuCoverage - whole.gpuCoverage) < 1e-9);
    }
    svc.advancePrefix(run, t0 + 40_000); // going back is ignored
    assert.equal(runs.byId(run0.id)?.energy_prefix?.until, t0 + 50_000);
    db.close();
  });
});
