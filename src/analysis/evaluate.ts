import { invalid } from '../errors.js';
import { epochEnergy } from './estimators/epoch-energy.js';
import { powerBased } from './estimators/power-based.js';
import type { EpochStat, Estimator } from './estimators/types.js';
import { offlineLoo, type OfflineRun } from './offline.js';

export interface EvaluationRun {
  id: string;
  name?: string | null;
  epochs: EpochStat[];
  measuredJ: number;
  stableFromEpoch: number;
  baselines?: { mlco2J: number; greenAlgorithmsJ: number };
}

export interface EvaluationRow {
  method: 'green-algorithms' | 'mlco2' | 'power-based' | 'epoch-energy' | 'offline-power' | 'offline-epoch-energy';
  /** Runs the method could be scored on. */
  n: number;
  rmseKJ: number | null;
  maeKJ: number | null;
  mapePct: number | null;
}

function score(method: EvaluationRow['method'], pairs: Array<[number, number]>): EvaluationRow {
  const n = pairs.length;
  if (n === 0) return { method, n, rmseKJ: null, maeKJ: null, mapePct: null };
  let se = 0;
  let ae = 0;
  let ape = 0;
  for (const [predicted, measured] of pairs) {
    const err = predicted - measured;
    se += err * err;
    ae += Math.abs(err);
    ape += Math.abs(err) / measured;
  }
  return { method, n, rmseKJ: Math.sqrt(se / n) / 1000, maeKJ: ae / n / 1000, mapePct: (ape / n) * 100 };
}

/** The projection an online estimator had made when the window closed (only epochs up to the window end known). */
export function atWindowEnd(est: Estimator, run: EvaluationRun, windowEpochs: number): number | null {
  const end = run.stableFromEpoch + windowEpochs;
  if (end > run.epochs.length) return null;
  const known = run.epochs.slice(0, end);
  const elapsedS = known.reduce((a, e) => a + e.durationS, 0);
  const e = est.estimate({ epochs: known, stableFromEpoch: run.stableFromEpoch, windowEpochs, expectedEpochs: run.epochs.length, elapsedS });
  return e === null ? null : e.projectedJ;
}

/** Every run can be scored: a measured total and a stabilizing epoch (PROF_ERR_INVALID otherwise). */
export function checkRuns(runs: EvaluationRun[]): void {
  if (!Array.isArray(runs)) throw invalid('evaluate: runs must be an array');
  for (const r of runs) {
    if (!Number.isFinite(r.measuredJ) || r.measuredJ <= 0) throw invalid(`evaluate: run ${r.id} has no measured energy`);
    if (!Number.isInteger(r.stableFromEpoch) || r.stableFromEpoch < 0) throw invalid(`evaluate: run ${r.id} has no stabilizing epoch`);
  }
}

/**
 * Accuracy of the online estimators (projection at the end of the window, expected epochs = the run's actual
 * count) and of the TDP baselines against the measured totals. Runs too short for the window are left out of the
 * online rows (n says how many were scored). The offline rows are leave-one-out over `offline` (the finished runs
 * that carry every offline feature; none scored below MIN_OFFLINE_RUNS).
 */
export function evaluate(runs: EvaluationRun[], windowEpochs: number, offline: OfflineRun[] = []): EvaluationRow[] {
  checkRuns(runs);
  if (!Number.isInteger(windowEpochs) || windowEpochs < 1) throw invalid('evaluate: windowEpochs must be an integer >= 1');
  const pairs = (f: (r: EvaluationRun) => number | null): Array<[number, number]> =>
    runs.flatMap((r) => {
      const p = f(r);
      return p === null || !Number.isFinite(p) ? [] : [[p, r.measuredJ] as [number, number]];
    });
  const loo = offlineLoo(offline);
  return [
    score('green-algorithms', pairs((r) => r.baselines?.greenAlgorithmsJ ?? null)),
    score('mlco2', pairs((r) => r.baselines?.mlco2J ?? null)),
    score('power-based', pairs((r) => atWindowEnd(powerBased, r, windowEpochs))),
    score('epoch-energy', pairs((r) => atWindowEnd(epochEnergy, r, windowEpochs))),
    score('offline-power', loo.power),
    score('offline-epoch-energy', loo.epochEnergy),
  ];
}

const COLUMNS: Array<[EvaluationRow['method'], string]> = [
  ['green-algorithms', 'GA'],
  ['mlco2', 'MLCO2'],
  ['power-based', 'online power-based'],
  ['epoch-energy', 'online epoch-energy'],
  ['offline-power', 'offline power'],
  ['offline-epoch-energy', 'offline epoch-energy'],
];

/** Table 10 of the study: methods as columns, RMSE / MAE (kJ) and MAPE (%) as rows, n runs scored last. */
export function formatEvaluationTable(rows: EvaluationRow[]): string {
  const byMethod = new Map(rows.map((r) => [r.method, r]));
  const cell = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toFixed(2));
  const lines: string[][] = [['', ...COLUMNS.map(([, label]) => label)]];
  lines.push(['RMSE (kJ)', ...COLUMNS.map(([m]) => cell(byMethod.get(m)?.rmseKJ))]);
  lines.push(['MAE (kJ)', ...COLUMNS.map(([m]) => cell(byMethod.get(m)?.maeKJ))]);
  lines.push(['MAPE (%)', ...COLUMNS.map(([m]) => cell(byMethod.get(m)?.mapePct))]);
  lines.push(['runs', ...COLUMNS.map(([m]) => String(byMethod.get(m)?.n ?? 0))]);
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n') + '\n';
}
