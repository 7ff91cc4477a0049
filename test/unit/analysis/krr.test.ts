import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitKrr, KRR_ALPHAS, KRR_GAMMAS, looPredictions, NESTED_LOO_MAX } from '../../../src/analysis/krr.js';
import { rng } from '../../helpers/traces.js';

/** A smooth, non-linear power (W) of three features on different scales, as a GPU's power is of its workload. */
const truth = (x: number[]): number => 60 + 150 * (1 - Math.exp(-(x[0] as number) / 4)) + 0.05 * (x[1] as number) + 20 * Math.sin((x[2] as number) / 30);

function sample(n: number, seed: number): { X: number[][]; y: number[] } {
  const r = rng(seed);
  const X = Array.from({ length: n }, () => [0.3 + 15 * r(), 16 + 240 * r(), 100 * r()]);
  return { X, y: X.map(truth) };
}

const rmse = (p: number[], y: number[]): number => Math.sqrt(p.reduce((a, v, i) => a + (v - (y[i] as number)) ** 2, 0) / p.length);

/** Leave-one-out of the constant predictor (the mean of the other rows): what a regression must beat. */
const constantLoo = (y: number[]): number[] => y.map((_, i) => (y.reduce((a, v) => a + v, 0) - (y[i] as number)) / (y.length - 1));

test('KRR recovers a smooth function: leave-one-out RMSE far below the constant predictor', () => {
  const { X, y } = sample(40, 7);
  const { predictions, nested } = looPredictions(X, y);
  assert.equal(nested, true);
  const krr = rmse(predictions, y);
  const constant = rmse(constantLoo(y), y);
  // A constant predictor errs by the spread of the target (tens of W); the regression must be within a fifth of it.
  assert.ok(constant > 20, `spread ${constant}`);
  assert.ok(krr < 0.2 * constant, `KRR LOO RMSE ${krr.toFixed(2)} W vs constant ${constant.toFixed(2)} W`);
});

test('predicts unseen points inside the training range', () => {
  const { X, y } = sample(50, 11);
  const m = fitKrr(X, y);
  const test = sample(20, 99);
  const err = rmse(test.X.map((x) => m.predict(x)), test.y);
  assert.ok(err < 0.1 * rmse(test.y.map(() => y.reduce((a, v) => a + v, 0) / y.length), test.y), `err ${err}`);
  assert.ok(KRR_ALPHAS.includes(m.alpha) && KRR_GAMMAS.includes(m.gamma));
  assert.equal(m.n, 50);
});

test('the chosen hyper-parameters have the lowest cross-validated error of the grid', () => {
  const { X, y } = sample(30, 3);
  const m = fitKrr(X, y);
  for (const alpha of KRR_ALPHAS) {
    for (const gamma of KRR_GAMMAS) {
      // A one-point grid is not searched (cvRmse null): give two α so that point's LOO error is computed too.
      const single = fitKrr(X, y, { alphas: [alpha, alpha], gammas: [gamma] });
      assert.ok((single.cvRmse as number) >= (m.cvRmse as number) - 1e-9, `α ${alpha} γ ${gamma}: ${single.cvRmse} < ${m.cvRmse}`);
    }
  }
});

test('tiny α interpolates the training rows; huge α shrinks to the mean', () => {
  const { X, y } = sample(15, 5);
  const tight = fitKrr(X, y, { alphas: [1e-9], gammas: [0.5] });
  X.forEach((x, i) => assert.ok(Math.abs(tight.predict(x) - (y[i] as number)) < 1e-3 * Math.abs(y[i] as number), `row ${i}`));
  const loose = fitKrr(X, y, { alphas: [1e6], gammas: [0.5] });
  const mean = y.reduce((a, v) => a + v, 0) / y.length;
  X.forEach((x) => assert.ok(Math.abs(loose.predict(x) - mean) < 1e-3 * mean));
  assert.equal(tight.cvRmse, null);
});

test('a constant feature column carries no information and breaks nothing', () => {
  const { X, y } = sample(25, 13);
  const withConst = X.map((r) => [...r, 23807]);
  const a = looPredictions(X, y).predictions;
  const b = looPredictions(withConst, y).predictions;
  b.forEach((p, i) => assert.ok(Math.abs(p - (a[i] as number)) < 1e-6 * Math.abs(a[i] as number), `row ${i}: ${p} vs ${a[i]}`));
});

test('above NESTED_LOO_MAX rows the hyper-parameters are chosen once and each row refitted without it', () => {
  const { X, y } = sample(NESTED_LOO_MAX + 5, 17);
  const { predictions, nested } = looPredictions(X, y);
  assert.equal(nested, false);
  assert.ok(rmse(predictions, y) < 0.1 * rmse(constantLoo(y), y));
  // Held out means held out: a row's own target never reaches its prediction (tiny α would then reproduce it).
  const tight = looPredictions(X.slice(0, 10), y.slice(0, 10), { alphas: [1e-9], gammas: [100] }).predictions;
  tight.forEach((p, i) => assert.ok(Math.abs(p - (y[i] as number)) > 1e-6));
});

test('bad input is PROF_ERR_INVALID', () => {
  assert.throws(() => fitKrr([[1]], [1]), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => fitKrr([[1], [2]], [1]), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => fitKrr([[1], [NaN]], [1, 2]), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => fitKrr([[1, 2], [2]], [1, 2]), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => fitKrr([[1], [2]], [1, Infinity]), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => fitKrr([[1], [2]], [1, 2], { alphas: [] }), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => fitKrr([[1], [2]], [1, 2], { gammas: [-1] }), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => fitKrr([[1], [2]], [1, 2]).predict([1, 2]), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => looPredictions([[1], [2]], [1, 2]), { code: 'PROF_ERR_INVALID' });
});
