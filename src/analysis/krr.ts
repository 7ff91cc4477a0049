import { CholeskyDecomposition, EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { invalid } from '../errors.js';

/** The hyper-parameter grid searched by leave-one-out cross-validation (features are z-scores, so γ ≈ 1/d is central). */
export const KRR_ALPHAS: readonly number[] = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
export const KRR_GAMMAS: readonly number[] = [0.003, 0.01, 0.03, 0.1, 0.3, 1];

export interface KrrOptions {
  alphas?: readonly number[];
  gammas?: readonly number[];
}

/** A fitted kernel ridge regression: RBF kernel on standardized features, centred and scaled target. */
export interface KrrModel {
  alpha: number;
  gamma: number;
  /** Leave-one-out RMSE (target units) of the chosen hyper-parameters on the training rows; null when nothing was searched. */
  cvRmse: number | null;
  n: number;
  predict(x: readonly number[]): number;
}

interface Scaled {
  z: number[][];
  mean: number[];
  sd: number[];
}

/** z-scores per column; a constant column gets sd 1 (it carries no information and stays at 0). */
function standardize(X: readonly (readonly number[])[]): Scaled {
  const d = X[0]?.length ?? 0;
  const mean = Array.from({ length: d }, (_, j) => X.reduce((a, r) => a + (r[j] as number), 0) / X.length);
  const sd = mean.map((m, j) => {
    const v = X.reduce((a, r) => a + ((r[j] as number) - m) ** 2, 0) / X.length;
    return v > 1e-24 * Math.max(1, m * m) ? Math.sqrt(v) : 1;
  });
  return { z: X.map((r) => r.map((v, j) => (v - (mean[j] as number)) / (sd[j] as number))), mean, sd };
}

const sqDist = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, k) => s + (v - (b[k] as number)) ** 2, 0);

function kernel(z: number[][], gamma: number): Matrix {
  const n = z.length;
  const K = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    K.set(i, i, 1);
    for (let j = 0; j < i; j++) {
      const k = Math.exp(-gamma * sqDist(z[i] as number[], z[j] as number[]));
      K.set(i, j, k);
      K.set(j, i, k);
    }
  }
  return K;
}

/**
 * LOO mean squared error of every α for one kernel, by the closed form e_i = c_i / [(K + αI)⁻¹]_ii with
 * c = (K + αI)⁻¹ y, from one eigendecomposition K = QΛQᵀ (so each α costs O(n²), not a new solve).
 */
function looMse(K: Matrix, y: number[], alphas: readonly number[]): number[] {
  const n = y.length;
  const evd = new EigenvalueDecomposition(K, { assumeSymmetric: true });
  const Q = evd.eigenvectorMatrix;
  const lambda = evd.realEigenvalues.map((l) => Math.max(0, l));
  const qty = lambda.map((_, k) => y.reduce((a, v, i) => a + Q.get(i, k) * v, 0));
  return alphas.map((alpha) => {
    let se = 0;
    for (let i = 0; i < n; i++) {
      let c = 0;
      let h = 0;
      for (let k = 0; k < n; k++) {
        const q = Q.get(i, k);
        const inv = 1 / ((lambda[k] as number) + alpha);
        c += q * inv * (qty[k] as number);
        h += q * q * inv;
      }
      se += (c / h) ** 2;
    }
    return se / n;
  });
}

/** Checks a training set: at least 2 rows of one width, finite values. */
function checkRows(X: readonly (readonly number[])[], y: readonly number[]): void {
  if (X.length < 2 || X.length !== y.length) throw invalid(`krr: need at least 2 rows with one target each, got ${X.length} rows and ${y.length} targets`);
  const d = X[0]?.length ?? 0;
  if (d === 0) throw invalid('krr: rows have no features');
  X.forEach((r, i) => {
    if (r.length !== d || !r.every(Number.isFinite)) throw invalid(`krr: row ${i} must hold ${d} finite numbers`);
  });
  if (!y.every(Number.isFinite)) throw invalid('krr: targets must be finite numbers');
}

/**
 * Kernel ridge regression (RBF kernel): features standardized on the training rows, target centred and scaled,
 * α and γ chosen over the grid by leave-one-out cross-validation, dual weights from (K + αI) c = y.
 */
export function fitKrr(X: readonly (readonly number[])[], y: readonly number[], opts: KrrOptions = {}): KrrModel {
  checkRows(X, y);
  const alphas = opts.alphas ?? KRR_ALPHAS;
  const gammas = opts.gammas ?? KRR_GAMMAS;
  if (alphas.length === 0 || gammas.length === 0 || ![...alphas, ...gammas].every((v) => Number.isFinite(v) && v > 0)) {
    throw invalid('krr: alphas and gammas must be non-empty lists of positive numbers');
  }
  const n = y.length;
  const s = standardize(X);
  const yMean = y.reduce((a, v) => a + v, 0) / n;
  const ySd = Math.sqrt(y.reduce((a, v) => a + (v - yMean) ** 2, 0) / n) || 1;
  const yz = y.map((v) => (v - yMean) / ySd);
  let best = { mse: NaN, alpha: alphas[0] as number, gamma: gammas[0] as number };
  // One grid point needs no search: skip the eigendecompositions (the non-nested LOO refits n times).
  const search = alphas.length * gammas.length > 1;
  for (const gamma of search ? gammas : []) {
    looMse(kernel(s.z, gamma), yz, alphas).forEach((mse, i) => {
      if (Number.isFinite(mse) && !(mse >= best.mse)) best = { mse, alpha: alphas[i] as number, gamma };
    });
  }
  const A = kernel(s.z, best.gamma).add(Matrix.eye(n).mul(best.alpha));
  const Y = Matrix.columnVector(yz);
  const chol = new CholeskyDecomposition(A);
  const c = (chol.isPositiveDefinite() ? chol.solve(Y) : solve(A, Y)).getColumn(0);
  const { z, mean, sd } = s;
  return {
    alpha: best.alpha,
    gamma: best.gamma,
    cvRmse: Number.isFinite(best.mse) ? Math.sqrt(best.mse) * ySd : null,
    n,
    predict(x: readonly number[]): number {
      if (x.length !== mean.length || !x.every(Number.isFinite)) throw invalid(`krr: predict needs ${mean.length} finite numbers`);
      const zx = x.map((v, j) => (v - (mean[j] as number)) / (sd[j] as number));
      const f = z.reduce((a, zi, i) => a + (c[i] as number) * Math.exp(-best.gamma * sqDist(zi, zx)), 0);
      return yMean + ySd * f;
    },
  };
}

/** Up to this many rows every held-out prediction refits the model, grid search included; above, see looPredictions. */
export const NESTED_LOO_MAX = 60;

/**
 * Leave-one-out predictions: row i predicted by a model fitted without it (its own grid search included). Above
 * NESTED_LOO_MAX rows that costs n fits, so the hyper-parameters are chosen once on all rows and each row is then
 * predicted by a refit on the others with them fixed (`nested` false says so).
 */
export function looPredictions(X: readonly (readonly number[])[], y: readonly number[], opts: KrrOptions = {}): { predictions: number[]; nested: boolean } {
  checkRows(X, y);
  if (X.length < 3) throw invalid('krr: leave-one-out needs at least 3 rows');
  const nested = X.length <= NESTED_LOO_MAX;
  const fixed = nested ? opts : (() => {
    const m = fitKrr(X, y, opts);
    return { alphas: [m.alpha], gammas: [m.gamma] };
  })();
  const predictions = X.map((x, i) => {
    const keep = (_: unknown, j: number): boolean => j !== i;
    return fitKrr(X.filter(keep), y.filter(keep), fixed).predict(x);
  });
  return { predictions, nested };
}
