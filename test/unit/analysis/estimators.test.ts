import { test } from 'node:test';
import { uncertaintyJ } from '../../../src/analysis/estimators/types.js';
import assert from 'node:assert/strict';
import {
  ALL_ESTIMATORS,
  greenAlgorithms,
  mlco2,
  projectionJson,
  type EpochStat,
  type EstimatorInput,
} from '../../../src/analysis/estimators/index.js';

const constant = (n: number, durationS = 20, energyJ = 5000): EpochStat[] =>
  Array.from({ length: n }, (_, i) => ({ epoch: i + 1, durationS, energyJ, avgPowerW: energyJ / durationS }));
const input = (epochs: EpochStat[], over: Partial<EstimatorInput> = {}): EstimatorInput => ({
  epochs,
  stableFromEpoch: 2,
  windowEpochs: 5,
  expectedEpochs: 30,
  elapsedS: epochs.reduce((a, e) => a + e.durationS, 0),
  ...over,
});
// Warm-up epochs at lower power, then stable epochs with a little spread.
const realistic = (): EpochStat[] =>
  Array.from({ length: 12 }, (_, i) => {
    const energyJ = i < 3 ? 2000 + 800 * i : 5000 + ((i * 37) % 7) * 20;
    return { epoch: i + 1, durationS: 20, energyJ, avgPowerW: energyJ / 20 };
  });

for (const est of ALL_ESTIMATORS) {
  test(`${est.name}: constant epochs give the exact total`, () => {
    const e = est.estimate(input(constant(7)));
    assert.ok(e);
    assert.ok(Math.abs(e.projectedJ - 30 * 5000) < 1e-6, `${e.projectedJ}`);
    assert.equal(e.provisional, false);
    assert.deepEqual(e.window, [3, 4, 5, 6, 7]);
    assert.equal(e.remainingS, 23 * 20);
  });

  test(`${est.name}: a window that is not full yet is provisional`, () => {
    const partial = est.estimate(input(constant(4)));
    assert.equal(partial?.provisional, true);
    assert.deepEqual(partial?.window, [3, 4]);
    const unknown = est.estimate(input(constant(4), { stableFromEpoch: null }));
    assert.equal(unknown?.provisional, true);
    assert.deepEqual(unknown?.window, [1, 2, 3, 4]);
  });

  test(`${est.name}: monotone in the expected epochs`, () => {
    let prev = -Infinity;
    for (const expected of [12, 15, 20, 40, 100]) {
      const e = est.estimate(input(realistic(), { expectedEpochs: expected }));
      assert.ok(e && e.projectedJ > prev, `expected ${expected}`);
      prev = e.projectedJ;
    }
  });

  test(`${est.name}: the band contains the point estimate`, () => {
    for (const s of [null, 0, 3, 6]) {
      const e = est.estimate(input(realistic(), { stableFromEpoch: s }));
      assert.ok(e && e.lowJ !== null && e.highJ !== null, `stable from ${s}`);
      assert.ok(e.lowJ! <= e.projectedJ && e.projectedJ <= e.highJ!, `stable from ${s}`);
      assert.ok(e.highJ! > e.lowJ!);
    }
  });

  test(`${est.name}: no epochs or unknown epoch count give null; bad input a clear error, never NaN`, () => {
    assert.equal(est.estimate(input([])), null);
    assert.equal(est.estimate(input(constant(7), { expectedEpochs: null })), null);
    const bad: Array<Partial<EstimatorInput>> = [
      { epochs: [{ epoch: 1, durationS: NaN, energyJ: 1, avgPowerW: 1 }] },
      { epochs: [{ epoch: 1, durationS: -5, energyJ: 1, avgPowerW: 1 }] },
      { epochs: [{ epoch: 1, durationS: 5, energyJ: NaN, avgPowerW: 1 }] },
      { epochs: [...constant(2)].reverse() },
      { elapsedS: NaN },
      { windowEpochs: 0 },
      { expectedEpochs: 2.5 },
    ];
    for (const over of bad) {
      let out: unknown;
      assert.throws(() => (out = est.estimate(input(constant(3), over))), { code: 'PROF_ERR_INVALID' });
      assert.equal(out, undefined);
    }
  });

  test(`${est.name}: a run past its announced epoch count projects what it has`, () => {
    const e = est.estimate(input(constant(9), { expectedEpochs: 5 }));
    assert.ok(e && Number.isFinite(e.projectedJ));
    assert.ok(Math.abs(e.projectedJ - 9 * 5000) < 1e-6);
  });
}

test('power-based responds to wall-clock time beyond the epoch projection', () => {
  const [pb] = ALL_ESTIMATORS;
  const base = pb!.estimate(input(constant(7)))!;
  const slow = pb!.estimate(input(constant(7), { elapsedS: 30 * 20 + 100 }))!;
  assert.ok(Math.abs(slow.projectedJ - base.projectedJ - 100 * 250) < 1e-6);
});

test('the study power formula charges the warm-up at stable power; the variant at its measured energy', () => {
  const study = ALL_ESTIMATORS.find((e) => e.name === 'power-based')!;
  const variant = ALL_ESTIMATORS.find((e) => e.name === 'power-based-measured-warmup')!;
  const i = input(realistic(), { stableFromEpoch: 3, expectedEpochs: 12 });
  assert.ok(study.estimate(i)!.projectedJ > variant.estimate(i)!.projectedJ);
});

test('mlco2 and Green Algorithms baselines', () => {
  assert.equal(mlco2(350, 3600), 1_260_000);
  assert.equal(greenAlgorithms({ tdpW: 300, usage: 0.5, ramGB: 10, seconds: 100 }), (150 + 3.725) * 100);
  assert.throws(() => mlco2(NaN, 1), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => greenAlgorithms({ tdpW: 300, usage: 1.5, ramGB: 1, seconds: 1 }), /usage/);
  assert.throws(() => greenAlgorithms({ tdpW: 300, usage: 0.5, ramGB: -1, seconds: 1 }), /ramGB/);
});

test('projectionJson keeps the contract names', () => {
  const [pb, ee] = ALL_ESTIMATORS;
  const i = input(constant(5));
  const j = projectionJson(pb!.estimate(i), ee!.estimate(i), 2, 5);
  assert.ok(j);
  assert.deepEqual(Object.keys(j).slice(0, 5), ['powerBasedJ', 'epochEnergyBasedJ', 'windowEpochs', 'stableFromEpoch', 'provisional']);
  assert.equal(j.provisional, true);
  assert.equal(j.stableFromEpoch, 2);
  // Constant epochs do not vary: a band of zero width around each projection.
  assert.deepEqual(j.bands, { powerBasedJ: [j.powerBasedJ, j.powerBasedJ], epochEnergyBasedJ: [j.epochEnergyBasedJ, j.epochEnergyBasedJ] });
  const one = input(constant(3), { stableFromEpoch: 2 });
  assert.equal(projectionJson(pb!.estimate(one), ee!.estimate(one), 2, 5)?.bands, null, 'one window epoch: nothing can be said');
  assert.equal(projectionJson(null, null, null, 5), null);
  assert.equal(projectionJson(null, ee!.estimate(i), 2, 5)?.powerBasedJ, null);
});

test('the band: ± t(w−1) · σ · √(n + n²/w) of the epochs still to come; none from one epoch; zero once none remain', () => {
  const half = uncertaintyJ([10, 12], 3);
  assert.ok(half !== null && Math.abs(half - 12.706 * Math.SQRT2 * Math.sqrt(3 + 9 / 2)) < 1e-9, `${half}`);
  assert.equal(uncertaintyJ([10], 3), null);
  assert.equal(uncertaintyJ([10, 12, 11], 0), 0);
  assert.ok((uncertaintyJ([10, 12, 11, 13, 9], 20) as number) < (uncertaintyJ([10, 12, 11, 13, 9], 40) as number), 'wider further out');
});

test('provisional whenever the window is not complete: 12 epochs, stable from 10, a window of 5 (only 2 follow)', () => {
  const twelve = Array.from({ length: 12 }, (_, i) => ({ epoch: i + 1, durationS: 20, energyJ: 5000 + (i % 3) * 50, avgPowerW: 250 }));
  for (const est of ALL_ESTIMATORS) {
    const e = est.estimate(input(twelve, { stableFromEpoch: 10, expectedEpochs: 12 }));
    assert.equal(e?.provisional, true, est.name);
    assert.deepEqual(e?.window, [11, 12]);
  }
});

/** A seeded normal draw (Box–Muller over a small LCG), for corpora that are the same at every run. */
function normal(seed: number): () => number {
  let x = seed;
  const u = (): number => ((x = (x * 1103515245 + 12345) % 2147483648) + 1) / 2147483649;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

test('band coverage on a synthetic corpus: the final total falls inside the epoch-energy band ≈ 95 % of the time', (t) => {
  const [pb, ee] = ALL_ESTIMATORS;
  let inside = { pb: 0, ee: 0 };
  const runs = 400;
  for (let seed = 1; seed <= runs; seed++) {
    const z = normal(seed);
    const n = 20 + (seed % 40);
    const epochs = Array.from({ length: n }, (_, i) => {
      const durationS = 30 * (1 + 0.02 * z());
      const powerW = (i < 3 ? 150 + 40 * i : 250) * (1 + 0.03 * z());
      return { epoch: i + 1, durationS, energyJ: powerW * durationS, avgPowerW: powerW };
    });
    const truth = epochs.reduce((a, e) => a + e.energyJ, 0);
    const known = epochs.slice(0, 8); // stable from epoch 3, the 5-epoch window closed
    const i = { epochs: known, stableFromEpoch: 3, windowEpochs: 5, expectedEpochs: n, elapsedS: known.reduce((a, e) => a + e.durationS, 0) };
    const [p, e] = [pb!.estimate(i)!, ee!.estimate(i)!];
    if (p.lowJ! <= truth && truth <= p.highJ!) inside.pb++;
    if (e.lowJ! <= truth && truth <= e.highJ!) inside.ee++;
  }
  t.diagnostic(`coverage over ${runs} runs: epoch-energy ${(inside.ee / runs * 100).toFixed(1)} %, power-based ${(inside.pb / runs * 100).toFixed(1)} %`);
  assert.ok(inside.ee / runs >= 0.88 && inside.ee / runs <= 0.995, `epoch-energy coverage ${inside.ee / runs}`);
});
