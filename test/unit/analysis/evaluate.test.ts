import { test } from 'node:test';
import assert from 'node:assert/strict';
import { integrate } from '../../../src/analysis/energy.js';
import { evaluate, formatEvaluationTable, type EvaluationRun } from '../../../src/analysis/evaluate.js';
import type { EpochStat } from '../../../src/analysis/estimators/index.js';
import { detectStabilization } from '../../../src/analysis/stabilization.js';
import { syntheticRun } from '../../helpers/traces.js';

const config = { gridMs: 1000, m: 10, L: 10, exclFactor: 3, nRegimes: 2, fixedEpoch: 10, windowEpochs: 5 };

/** Per-epoch energy of a sampled run: trapezoid cut at the epoch ends, epoch 1 from the first sample. */
function epochStats(t: number[], powerW: number[], ends: number[]): EpochStat[] {
  const { parts } = integrate({ t, w: powerW }, [t[0]!, ...ends], 5000);
  return parts.map((energyJ, i) => {
    const durationS = (ends[i]! - (i === 0 ? t[0]! : ends[i - 1]!)) / 1000;
    return { epoch: i + 1, durationS, energyJ, avgPowerW: energyJ / durationS };
  });
}

test('window-end projections on the settling-after-epoch-5 profile are within 3 % of the true total', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const run = syntheticRun({ seed, dips: true });
    const s = detectStabilization({ ...run, config })!;
    const epochs = epochStats(run.t, run.powerW, run.epochEnds);
    const measuredJ = epochs.reduce((a, e) => a + e.energyJ, 0);
    const rows = evaluate([{ id: String(seed), epochs, measuredJ, stableFromEpoch: s.epoch! }], config.windowEpochs);
    const ee = rows.find((r) => r.method === 'epoch-energy')!;
    assert.equal(ee.n, 1);
    assert.ok(ee.mapePct! < 3, `seed ${seed} epoch-energy: ${ee.mapePct!.toFixed(2)} %`);
    // The study's E = P̄_w × t prices the whole run at the window's power: its error is the warm-up's deficit.
    const w = epochs.slice(s.epoch!, s.epoch! + config.windowEpochs);
    const pw = w.reduce((a, e) => a + e.energyJ, 0) / w.reduce((a, e) => a + e.durationS, 0);
    const stableTimesT = pw * epochs.reduce((a, e) => a + e.durationS, 0);
    const pb = rows.find((r) => r.method === 'power-based')!;
    const pbErrKJ = pb.maeKJ! * 1000;
    assert.ok(Math.abs(Math.abs(stableTimesT - measuredJ) - pbErrKJ) < 0.03 * measuredJ, `seed ${seed}: power-based off by ${pbErrKJ} J`);
  }
});

const flat = (n: number, energyJ = 1000): EpochStat[] =>
  Array.from({ length: n }, (_, i) => ({ epoch: i + 1, durationS: 10, energyJ, avgPowerW: energyJ / 10 }));

test('evaluate scores each method against the measured totals', () => {
  const runs: EvaluationRun[] = [
    { id: 'a', epochs: flat(20), measuredJ: 20_000, stableFromEpoch: 2, baselines: { mlco2J: 30_000, greenAlgorithmsJ: 18_000 } },
    { id: 'b', epochs: flat(20), measuredJ: 25_000, stableFromEpoch: 2, baselines: { mlco2J: 30_000, greenAlgorithmsJ: 25_000 } },
    { id: 'short', epochs: flat(4), measuredJ: 4000, stableFromEpoch: 2 },
  ];
  const rows = evaluate(runs, 5);
  const by = new Map(rows.map((r) => [r.method, r]));
  assert.equal(by.get('mlco2')!.n, 2);
  assert.ok(Math.abs(by.get('mlco2')!.maeKJ! - 7.5) < 1e-9);
  assert.ok(Math.abs(by.get('mlco2')!.rmseKJ! - Math.sqrt((100 + 25) / 2)) < 1e-9);
  assert.ok(Math.abs(by.get('green-algorithms')!.mapePct! - 5) < 1e-9);
  // The short run cannot fill its window: scored only by nobody online.
  assert.equal(by.get('epoch-energy')!.n, 2);
  assert.ok(Math.abs(by.get('epoch-energy')!.maeKJ! - 2.5) < 1e-9);
  assert.ok(Math.abs(by.get('power-based')!.mapePct! - 10) < 1e-9);
});

test('evaluate rejects runs without a measured total or stabilizing epoch', () => {
  assert.throws(() => evaluate([{ id: 'x', epochs: flat(3), measuredJ: NaN, stableFromEpoch: 1 }], 5), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => evaluate([{ id: 'x', epochs: flat(3), measuredJ: 1, stableFromEpoch: -1 }], 5), /stabilizing/);
  assert.throws(() => evaluate([], 0), /windowEpochs/);
});

test('the table has the study layout: methods as columns, RMSE/MAE/MAPE as rows', () => {
  const rows = evaluate([{ id: 'a', epochs: flat(20), measuredJ: 20_000, stableFromEpoch: 2 }], 5);
  const lines = formatEvaluationTable(rows).trimEnd().split('\n');
  assert.match(lines[0]!, /^\s+GA\s+MLCO2\s+online power-based\s+online epoch-energy\s+offline power\s+offline epoch-energy$/);
  assert.match(lines[1]!, /^RMSE \(kJ\)\s+-\s+-\s+0\.00\s+0\.00\s+-\s+-$/);
  assert.match(lines[2]!, /^MAE \(kJ\)/);
  assert.match(lines[3]!, /^MAPE \(%\)/);
  assert.match(lines[4]!, /^runs\s+0\s+0\s+1\s+1\s+0\s+0$/);
});
