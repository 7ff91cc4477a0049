import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { openRunSet } from '../../../src/runs/open.js';
import { runJson } from '../../../src/runs/report.js';
import type { RunRow } from '../../../src/store/runs.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'energy-counter-'));
const set = openRunSet(loadConfig({ env: { PROFILER_HOME: tmp } }), { path: path.join(tmp, 'profiler.db') });
after(() => {
  set.close();
  rmSync(tmp, { recursive: true, force: true });
});
const T0 = 1_800_000_000_000;
const UUID = 'GPU-e0000000-0000-4000-8000-000000000000';

/**
 * A run over [T0 + 1 s, T0 + 9 s] with epochs [2 s, 4 s] and [4 s, 8 s] on one GPU whose power.draw says 100 W and
 * whose counter says 150 W (every 100 ms over [T0, T0 + 10 s]), so the figures tell which source was used.
 */
function recorded(status?: RunRow['status']): RunRow {
  const run = set.runs.create({ name: null, command: ['x'], cwd: null, startedAt: T0 + 1000, expectedEpochs: null, clientPid: null,
    sampleMs: 100, meta: {}, status });
  for (let t = T0; t <= T0 + 10_000; t += 100) {
    set.samples.addGpu([{ t, uuid: UUID, index: 0, powerW: 100, powerInstantW: null, powerLimitW: 300, utilGpuPct: null, utilMemPct: null,
      memUsedMiB: null, memTotalMiB: null, tempC: null, smClockMHz: null }]);
    set.samples.addGpuEnergy([{ t, uuid: UUID, energyMj: 7e6 + 150 * (t - T0) }]);
  }
  set.samples.flush();
  set.runs.setDevices(run.rid, [set.samples.deviceId(UUID)], 'flag');
  for (const [a, b] of [[2000, 4000], [4000, 8000]] as const) {
    const e = set.epochs.open(run.rid, T0 + a, null, null);
    set.epochs.close(run.rid, e.epoch, T0 + b);
  }
  set.runs.update(run.rid, { ended_at: T0 + 9000 });
  return set.runs.byId(run.id) as RunRow;
}

describe('the energy service: GPU energy from the counter where every GPU has one', () => {
  it('a run\'s and its epochs\' gpuJ are the counter\'s; gpuIntegralJ keeps ∫ power.draw', () => {
    const run = recorded();
    const { energy, rewritten } = set.energy.compute(run, T0 + 9000, { writeEpochs: true });
    assert.equal(energy.gpuMethod, 'counter');
    assert.ok(Math.abs(energy.gpuJ - 1200) < 1e-9, `150 W × 8 s, got ${energy.gpuJ}`);
    assert.equal(energy.gpuCounterJ, energy.gpuJ);
    assert.ok(Math.abs((energy.gpuIntegralJ ?? NaN) - 800) < 1e-9, `100 W × 8 s, got ${energy.gpuIntegralJ}`);
    assert.equal(energy.totalJ, energy.gpuJ + energy.ramJ);
    assert.deepEqual(rewritten, []);
    assert.deepEqual(set.epochs.list(run.rid).map((e) => e.gpu_j), [300, 600]);
    set.runs.update(run.rid, { energy });
    const json = runJson(set, set.runs.byId(run.id) as RunRow, { epochs: true });
    assert.deepEqual([json.energy.gpuMethod, json.energy.gpuCounterJ, json.energy.gpuIntegralJ, json.energy.gpuNote], ['counter', 1200, 800, null]);
  });

  it('energy sealed before NVML support reads as the integral; an imported run never uses the counter', () => {
    const run = recorded();
    set.runs.update(run.rid, { energy: { totalJ: 800, gpuJ: 800, ramJ: 0, cpuJ: null, gpuCoverage: 1, gaps: [] } });
    const json = runJson(set, set.runs.byId(run.id) as RunRow, { epochs: false });
    assert.deepEqual([json.energy.gpuMethod, json.energy.gpuCounterJ, json.energy.gpuIntegralJ, json.energy.gpuNote], ['integral', null, 800, null]);
    const imported = recorded('imported');
    const { energy } = set.energy.compute(imported, T0 + 9000, { writeEpochs: true });
    assert.deepEqual([energy.gpuMethod, energy.gpuCounterJ, energy.gpuNote], ['integral', null, null]);
    assert.ok(Math.abs(energy.gpuJ - 800) < 1e-9);
  });
});
