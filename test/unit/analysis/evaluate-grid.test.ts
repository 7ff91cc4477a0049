import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatWindowGrid, windowGrid, type GridCell, type WindowGrid } from '../../../src/analysis/evaluate-grid.js';
import type { EvaluationRun } from '../../../src/analysis/evaluate.js';
import type { EpochStat } from '../../../src/analysis/estimators/index.js';

/** Epochs of 10 s with the given energies (J). */
const epochs = (energies: number[]): EpochStat[] =>
  energies.map((energyJ, i) => ({ epoch: i + 1, durationS: 10, energyJ, avgPowerW: energyJ / 10 }));
const run = (id: string, energies: number[], stableFromEpoch: number): EvaluationRun => ({
  id,
  epochs: epochs(energies),
  measuredJ: energies.reduce((a, b) => a + b, 0),
  stableFromEpoch,
});
const at = (g: WindowGrid, method: GridCell['method'], w: number, o: number): GridCell =>
  g.cells.find((c) => c.method === method && c.windowEpochs === w && c.offset === o)!;
const close = (a: number | null, b: number, what: string): void => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

test('a run whose epochs are identical has no error in any cell, for either estimator', () => {
  const g = windowGrid([run('flat', Array(30).fill(1000), 2), run('flat2', Array(40).fill(700), 0)], { maxWindow: 10, maxOffset: 10 });
  assert.deepEqual(g.windows, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(g.offsets, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(g.cells.length, 2 * 10 * 11);
  for (const c of g.cells) {
    assert.equal(c.n, 2, `w ${c.windowEpochs} +${c.offset}`);
    for (const v of [c.rmseKJ, c.maeKJ, c.mapePct, c.biasPct]) close(v, 0, `${c.method} w ${c.windowEpochs} +${c.offset}`);
  }
});

test('a warm-up at 60 % power: the study power form overestimates by its deficit in every cell, epoch-energy is exact', () => {
  // 3 warm-up epochs at 600 J, then 27 at 1000 J; the stabilizing epoch is the last warm-up one.
  const energies = [600, 600, 600, ...Array(27).fill(1000)];
  const g = windowGrid([run('warm', energies, 3)], { maxWindow: 10, maxOffset: 10 });
  const measured = 3 * 600 + 27 * 1000;
  const deficitPct = ((3 * (1000 - 600)) / measured) * 100;
  for (const c of g.cells) {
    assert.equal(c.n, 1);
    if (c.method === 'power-based') {
      close(c.mapePct, deficitPct, `power-based w ${c.windowEpochs} +${c.offset}`);
      close(c.biasPct, deficitPct, 'it overestimates');
      close(c.maeKJ, 1.2, 'the warm-up priced at stable power: 3 × 400 J');
      close(c.errorsPct[0] ?? null, deficitPct, 'the run\'s own error');
    } else {
      close(c.mapePct, 0, `epoch-energy w ${c.windowEpochs} +${c.offset}`);
    }
  }
  // Started at epoch 0 the one-epoch window is the warm-up itself: both estimators price every epoch at 600 J.
  const early = windowGrid([run('warm', energies, 3)], { maxWindow: 1, maxOffset: 0, startEpoch: 0 });
  for (const m of ['power-based', 'epoch-energy'] as const) close(at(early, m, 1, 0).biasPct, ((30 * 600 - measured) / measured) * 100, m);
  assert.deepEqual(early.runs, [{ id: 'warm', name: null, startEpoch: 0, epochs: 30 }]);
});

test('a drifting run: a cell worked by hand (w 2, start +1)', () => {
  // Epoch i uses 100 + 10 i J; window = epochs 2-3 (250 J over 20 s), known epochs 1-3, 10 epochs in all.
  const g = windowGrid([run('drift', Array.from({ length: 10 }, (_, i) => 100 + 10 * (i + 1)), 0)], { maxWindow: 3, maxOffset: 2 });
  // E_w × s / w + E_u = 250 × 9 / 2 + 110; measured 1550.
  close(at(g, 'epoch-energy', 2, 1).biasPct, ((1235 - 1550) / 1550) * 100, 'epoch-energy');
  close(at(g, 'epoch-energy', 2, 1).rmseKJ, 0.315, 'epoch-energy RMSE');
  // P̄_w × t = 12.5 W × 100 s.
  close(at(g, 'power-based', 2, 1).mapePct, (300 / 1550) * 100, 'power-based');
  assert.ok(at(g, 'epoch-energy', 1, 2).mapePct! < at(g, 'epoch-energy', 1, 0).mapePct!, 'a later window sees more of the drift');
});

test('a run is scored only where its epochs hold the window (start + offset + w ≤ epochs)', () => {
  const g = windowGrid([run('long', Array(40).fill(10), 2), run('short', Array(12).fill(10), 2)], { maxWindow: 10, maxOffset: 10 });
  for (const c of g.cells) {
    const fits = 2 + c.offset + c.windowEpochs <= 12;
    assert.equal(c.n, fits ? 2 : 1, `w ${c.windowEpochs} +${c.offset}`);
    assert.deepEqual(c.errorsPct, [0, fits ? 0 : null], 'per run, in the order of grid.runs');
  }
  const fixed = windowGrid([run('long', Array(40).fill(10), 2)], { maxWindow: 10, maxOffset: 10, startEpoch: 35 });
  assert.equal(at(fixed, 'power-based', 5, 0).n, 1);
  assert.equal(at(fixed, 'power-based', 5, 1).n, 0);
  assert.equal(at(fixed, 'power-based', 5, 1).mapePct, null);
  assert.deepEqual(fixed.runs, [{ id: 'long', name: null, startEpoch: 35, epochs: 40 }]);
});

test('bad options and runs are PROF_ERR_INVALID with the value named', () => {
  const ok = [run('a', Array(20).fill(1), 1)];
  const bad: Array<[Parameters<typeof windowGrid>[1], RegExp]> = [
    [{ maxWindow: 0, maxOffset: 3 }, /largest window must be an integer 1-100, got 0/],
    [{ maxWindow: 101, maxOffset: 3 }, /largest window/],
    [{ maxWindow: 2.5, maxOffset: 3 }, /largest window/],
    [{ maxWindow: 3, maxOffset: -1 }, /largest offset must be an integer 0-100, got -1/],
    [{ maxWindow: 3, maxOffset: Number.NaN }, /largest offset/],
    [{ maxWindow: 3, maxOffset: 3, startEpoch: -2 }, /start epoch must be an integer >= 0, got -2/],
  ];
  for (const [opts, message] of bad) assert.throws(() => windowGrid(ok, opts), { code: 'PROF_ERR_INVALID', message });
  assert.throws(() => windowGrid([{ ...ok[0]!, measuredJ: 0 }], { maxWindow: 3, maxOffset: 3 }), /no measured energy/);
  assert.throws(() => windowGrid([{ ...ok[0]!, stableFromEpoch: -1 }], { maxWindow: 3, maxOffset: 3 }), /no stabilizing epoch/);
});

test('the text: per estimator MAPE, RMSE and MAE matrices (w down, start across), runs scored when they vary', () => {
  const g = windowGrid([run('long', Array(20).fill(10), 2), run('short', Array(8).fill(10), 2)], { maxWindow: 4, maxOffset: 3 });
  const text = formatWindowGrid(g);
  const blocks = text.trimEnd().split('\n\n');
  assert.match(blocks[0]!, /^RQ4 grid \(2 runs\): window of w epochs starting \+o epochs after each run's stabilizing epoch/);
  const titles = blocks.slice(1).map((b) => b.split('\n')[0]);
  assert.deepEqual(titles, [
    'online power-based, MAPE (%)', 'online power-based, RMSE (kJ)', 'online power-based, MAE (kJ)',
    'online epoch-energy, MAPE (%)', 'online epoch-energy, RMSE (kJ)', 'online epoch-energy, MAE (kJ)',
    'runs scored (too short for the window: left out)',
  ]);
  const mape = blocks[1]!.split('\n').slice(1);
  assert.equal(mape.length, 1 + 4);
  assert.match(mape[0]!, /^w \\ start\s+\+0\s+\+1\s+\+2\s+\+3$/);
  assert.match(mape[1]!, /^\s+1\s+0\.00\s+0\.00\s+0\.00\s+0\.00$/);
  const runs = blocks[7]!.split('\n');
  // The short run (8 epochs, stabilizing at 2) holds a window while 2 + o + w ≤ 8.
  assert.match(runs[4]!, /^\s+3\s+2\s+2\s+2\s+2$/);
  assert.match(runs[5]!, /^\s+4\s+2\s+2\s+2\s+1$/);
  assert.match(formatWindowGrid(windowGrid([run('a', Array(20).fill(1), 0)], { maxWindow: 2, maxOffset: 1, startEpoch: 4 })),
    /after epoch 4;[^\n]*\n[\s\S]*every cell scores 1 runs\n$/);
});
