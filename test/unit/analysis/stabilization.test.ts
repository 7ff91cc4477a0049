import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { coarsen, MAX_HOLE, slotTime, toGrid } from '../../../src/analysis/grid.js';
import { detectStabilization, type StabilizationInput } from '../../../src/analysis/stabilization.js';
import { detectStabilizationInWorker } from '../../../src/analysis/stabilization-worker.js';
import { readReference, readTrace, syntheticRun } from '../../helpers/traces.js';

const config = { gridMs: 1000, m: 10, L: 10, exclFactor: 3, nRegimes: 2, fixedEpoch: 10, windowEpochs: 5 };

/** The run as it stood when its first n epochs had closed. */
function upTo(run: { t: number[]; powerW: number[]; epochEnds: number[] }, n: number): StabilizationInput {
  const k = run.t.findIndex((x) => x > run.epochEnds[n - 1]!);
  return { t: run.t.slice(0, k), powerW: run.powerW.slice(0, k), epochEnds: run.epochEnds.slice(0, n), config };
}

test('toGrid: a regular series is used as it is, gaps become NaN, finer samples are averaged', () => {
  const g = toGrid([0, 1002, 2004, 5010, 6012], [1, 2, 3, 4, 5], 1000);
  assert.deepEqual(Array.from(g.values), [1, 2, 3, NaN, NaN, 4, 5]);
  assert.equal(g.t0, 0);
  assert.ok(Math.abs(g.stepMs - 1002) < 1e-9);
  const fine = toGrid([0, 200, 400, 1000, 1500, 3100], [10, 20, null as unknown as number, 30, 50, 7], 1000);
  assert.deepEqual(Array.from(fine.values), [15, 40, NaN, 7]);
  assert.deepEqual(Array.from(coarsen(fine, 2).values), [(15 + 40) / 2, 7]);
  assert.throws(() => toGrid([0, 1], [1], 1000), /w has 1/);
  assert.throws(() => toGrid([1000, 0], [1, 1], 1000), /ascending/);
  assert.throws(() => toGrid([0], [1], 0), /gridMs/);
});

test('toGrid: a hole of years is kept as MAX_HOLE NaN slots, and slot times still land on the samples', () => {
  const year = 365 * 86_400_000;
  for (const t of [[0, 1000, 2000, year, year + 1000], [0, 200, 400, year, year + 200]]) {
    const g = toGrid(t, [1, 2, 3, 4, 5], 1000);
    assert.ok(g.values.length < 3 * MAX_HOLE, `${g.values.length} slots`);
    const last = g.values.length - 1;
    assert.equal(g.values[last], t[1] === 1000 ? 5 : 4.5);
    assert.ok(Math.abs(slotTime(g, last) - t[4]!) <= 1000, `slot time ${slotTime(g, last)} vs ${t[4]}`);
    assert.ok(Number.isNaN(g.values[last - 2]!));
    const c = coarsen(g, 2);
    assert.ok(Math.abs(slotTime(c, c.values.length - 1) - t[4]!) <= 2000);
  }
});

test('30-epoch profile settling after epoch 5: FLUSS finds epoch 5 ± 1, confidently', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const s = detectStabilization({ ...syntheticRun({ seed, dips: true }), config });
    assert.ok(s, `seed ${seed}`);
    assert.equal(s.method, 'fluss', `seed ${seed}: ${s.reason}`);
    assert.equal(s.confident, true);
    assert.ok(s.epoch !== null && Math.abs(s.epoch - 5) <= 1, `seed ${seed}: epoch ${s.epoch}`);
    assert.equal(s.at, s.flussAt);
    assert.ok(s.cacMin !== null && s.cacMin < 1);
  }
});

test('before the fixed epoch an unconfirmed candidate is returned with confident = false', () => {
  const s = detectStabilization(upTo(syntheticRun({ seed: 1, dips: true }), 3));
  assert.ok(s);
  assert.equal(s.method, 'fluss');
  assert.equal(s.confident, false);
  assert.match(s.reason, /not yet confident/);
});

test('without texture after the warm-up the rule never confirms a candidate before epoch 4', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const s = detectStabilization({ ...syntheticRun({ seed }), config })!;
    assert.ok(s.method === 'fixed' || (s.epoch !== null && s.epoch >= 4), `seed ${seed}: ${s.reason}`);
  }
});

test('power that never settles falls back to the fixed epoch, still reporting FLUSS', () => {
  const t = Array.from({ length: 400 }, (_, i) => i * 1000);
  const powerW = t.map((_, i) => 100 + i * 0.5 + 10 * Math.sin(i * 1.7));
  const epochEnds = Array.from({ length: 19 }, (_, i) => (i + 1) * 20_000);
  const s = detectStabilization({ t, powerW, epochEnds, config })!;
  assert.equal(s.method, 'fixed');
  assert.equal(s.epoch, 10);
  assert.equal(s.at, epochEnds[8]);
  assert.equal(s.confident, true);
  assert.ok(s.flussAt !== null && s.cacMin !== null);
  assert.match(s.reason, /not confirmed by epoch 1[0-2]:/);
});

test('a flat idle stretch is not taken for the stable phase (fixture s4 shape)', () => {
  const d = JSON.parse(readFileSync(path.resolve('test/fixtures/fluss/s4_flat_stretch.json'), 'utf8')) as { series: number[] };
  const t = d.series.map((_, i) => i * 1000);
  const epochEnds = Array.from({ length: 14 }, (_, i) => (i + 1) * 20_000 - 1);
  const s = detectStabilization({ t, powerW: d.series, epochEnds, config })!;
  assert.equal(s.method, 'fixed');
  assert.match(s.reason, /idle stretch/);
});

test('FLUSS location on a regular series matches stumpy on the fixtures', () => {
  for (const name of ['s1_step_noise', 's3_gpu_warmup_plateau', 's6_gpu_nan_gaps']) {
    const d = JSON.parse(readFileSync(path.resolve(`test/fixtures/fluss/${name}.json`), 'utf8')) as { series: Array<number | null>; regimes_parabolic_iac: number[] };
    const t = d.series.map((_, i) => i * 1000);
    const powerW = d.series.map((v) => v ?? NaN);
    const s = detectStabilization({ t, powerW, epochEnds: [t.length * 1000], config: { ...config, fixedEpoch: 100 } })!;
    assert.equal(s.flussAt, d.regimes_parabolic_iac[0]! * 1000, name);
  }
});

test('long runs are coarsened to maxPoints and say so', () => {
  const s = detectStabilization({ ...syntheticRun({ seed: 1, dips: true }), config, maxPoints: 200 })!;
  assert.match(s.reason, /coarsened ×2/);
  assert.equal(s.method, 'fluss');
  assert.ok(s.epoch !== null && Math.abs(s.epoch - 5) <= 1);
});

test('too few samples: null before the fixed epoch, fixed with null FLUSS fields after', () => {
  const t = [0, 1000, 2000, 3000];
  assert.equal(detectStabilization({ t, powerW: [1, 2, 3, 4], epochEnds: [2000], config }), null);
  const ends = Array.from({ length: 10 }, (_, i) => i * 300);
  const s = detectStabilization({ t, powerW: [1, 2, 3, 4], epochEnds: ends, config })!;
  assert.equal(s.method, 'fixed');
  assert.equal(s.flussAt, null);
  assert.equal(s.cacMin, null);
});

test('bad input is a clear error', () => {
  const ok = upTo(syntheticRun(), 4);
  assert.throws(() => detectStabilization({ ...ok, epochEnds: [5, 1] }), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => detectStabilization({ ...ok, powerW: [1] }), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => detectStabilization({ ...ok, t: [2, 1], powerW: [1, 1] }), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => detectStabilization({ ...ok, config: { ...config, m: 0 } }), /config.m/);
  assert.throws(() => detectStabilization({ ...ok, maxPoints: 3 }), /maxPoints/);
});

test('the worker gives the same answer and passes errors back', async () => {
  const run = syntheticRun({ seed: 2, dips: true });
  assert.deepEqual(await detectStabilizationInWorker({ ...run, config }), detectStabilization({ ...run, config }));
  await assert.rejects(detectStabilizationInWorker({ ...run, epochEnds: [5, 1], config }), { code: 'PROF_ERR_INVALID' });
});

// Decisions at epoch 10 on the real traces with equal-slice epochs (docs/stabilization.md has the full table).
const TRACE_DECISIONS: Record<string, [string, number]> = {
  'cloud-nasnet_mobile': ['fixed', 10],
  'cloud-mobilenet_v2': ['fluss', 9],
  'cloud-vgg16-gpu-power-20230309T132750': ['fluss', 2],
  'cloud-resnet50': ['fluss', 6],
  'cloud-vgg16-gpu-power-20230309T215730': ['fluss', 2],
  'local-v2-vgg16': ['fluss', 5],
  'local-v2-resnet50': ['fluss', 6],
  'local-v2-mobilenet_v2': ['fluss', 6],
};

test('real traces: the documented decision (final by epoch 12)', () => {
  const refs = readReference();
  assert.equal(refs.length, 8);
  for (const r of refs) {
    const tr = readTrace(r.file);
    const t0 = tr.t[0]!;
    const span = tr.t[tr.t.length - 1]! - t0;
    const epochEnds = Array.from({ length: r.trainedEpochs }, (_, i) => t0 + (span * (i + 1)) / r.trainedEpochs);
    const s = detectStabilization({ t: tr.t, powerW: tr.powerW, epochEnds, config })!;
    const key = Object.keys(TRACE_DECISIONS).find((k) => r.file.startsWith(k))!;
    assert.deepEqual([s.method, s.epoch], TRACE_DECISIONS[key], `${r.file}: ${s.reason}`);
  }
});

test('a candidate in epoch 9 found at the epoch-10 horizon waits for its two followers, located on the same data', () => {
  const r = readReference().find((x) => x.file.startsWith('cloud-mobilenet_v2'))!;
  const tr = readTrace(r.file);
  const t0 = tr.t[0]!;
  const span = tr.t[tr.t.length - 1]! - t0;
  const all = Array.from({ length: r.trainedEpochs }, (_, i) => t0 + (span * (i + 1)) / r.trainedEpochs);
  const at = (n: number) => {
    const k = tr.t.findIndex((x) => x > all[n - 1]!);
    return detectStabilization({ t: tr.t.slice(0, k), powerW: tr.powerW.slice(0, k), epochEnds: all.slice(0, n), config })!;
  };
  const s10 = at(10);
  assert.equal(s10.method, 'fluss');
  assert.equal(s10.epoch, 9);
  assert.equal(s10.confident, false, s10.reason);
  assert.match(s10.reason, /1 closed epochs after epoch 9 \(need 2\)/);
  const s11 = at(11);
  assert.deepEqual([s11.method, s11.epoch, s11.confident], ['fluss', 9, true], s11.reason);
  assert.equal(s11.flussAt, s10.flussAt, 'epochs after the horizon only confirm; the location is made on data up to epoch 10');
  assert.deepEqual(at(20), s11, 'final: later epochs change nothing');
});
