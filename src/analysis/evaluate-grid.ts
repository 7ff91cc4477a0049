import { invalid } from '../errors.js';
import { epochEnergy } from './estimators/epoch-energy.js';
import { powerBased } from './estimators/power-based.js';
import type { Estimator } from './estimators/types.js';
import { atWindowEnd, checkRuns, type EvaluationRun } from './evaluate.js';

export type GridMethod = 'power-based' | 'epoch-energy';

/** One cell of the study's RQ4 grid: an online estimator with a window of w epochs starting o epochs late. */
export interface GridCell {
  method: GridMethod;
  /** Window size w, epochs. */
  windowEpochs: number;
  /** Epochs between the start epoch (the stabilizing one, or the fixed one) and the window's first epoch. */
  offset: number;
  /** Runs long enough for the window (start + offset + w ≤ their epochs). */
  n: number;
  rmseKJ: number | null;
  maeKJ: number | null;
  mapePct: number | null;
  /** Mean signed error, % of the measured total: > 0 overestimates. */
  biasPct: number | null;
  /** Each run's signed error, % (in the order of `WindowGrid.runs`); null where the run is too short. */
  errorsPct: Array<number | null>;
}

export interface WindowGrid {
  windows: number[];
  offsets: number[];
  /** The fixed epoch every window starts after; null: each run's stabilizing epoch. */
  startEpoch: number | null;
  runs: Array<{ id: string; name: string | null; startEpoch: number; epochs: number }>;
  cells: GridCell[];
}

export interface GridOptions {
  maxWindow: number;
  maxOffset: number;
  startEpoch?: number | null;
}

/** Largest window and offset: 100 × 101 cells already make a table no one reads. */
export const GRID_LIMIT = 100;

const METHODS: Array<[GridMethod, Estimator]> = [['power-based', powerBased], ['epoch-energy', epochEnergy]];

function cell(method: GridMethod, windowEpochs: number, offset: number, perRun: Array<[number, number] | null>): GridCell {
  const pairs = perRun.filter((p): p is [number, number] => p !== null);
  const errorsPct = perRun.map((p) => (p === null ? null : ((p[0] - p[1]) / p[1]) * 100));
  const n = pairs.length;
  if (n === 0) return { method, windowEpochs, offset, n, rmseKJ: null, maeKJ: null, mapePct: null, biasPct: null, errorsPct };
  const errs = pairs.map(([p, m]) => p - m);
  return {
    method,
    windowEpochs,
    offset,
    n,
    rmseKJ: Math.sqrt(errs.reduce((a, e) => a + e * e, 0) / n) / 1000,
    maeKJ: errs.reduce((a, e) => a + Math.abs(e), 0) / n / 1000,
    mapePct: (pairs.reduce((a, [p, m]) => a + Math.abs(p - m) / m, 0) / n) * 100,
    biasPct: (pairs.reduce((a, [p, m]) => a + (p - m) / m, 0) / n) * 100,
    errorsPct,
  };
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * The study's RQ4 grid: for w = 1…maxWindow and o = 0…maxOffset, each online estimator's projection at the end of
 * the window of epochs start+o+1 … start+o+w (epochs before it count as measured, as after the stabilizing epoch)
 * against the measured total; a run too short for a cell is left out of it (n says how many were scored).
 */
export function windowGrid(runs: EvaluationRun[], opts: GridOptions): WindowGrid {
  checkRuns(runs);
  if (!isInt(opts.maxWindow, 1, GRID_LIMIT)) throw invalid(`evaluate grid: the largest window must be an integer 1-${GRID_LIMIT}, got ${opts.maxWindow}`);
  if (!isInt(opts.maxOffset, 0, GRID_LIMIT)) throw invalid(`evaluate grid: the largest offset must be an integer 0-${GRID_LIMIT}, got ${opts.maxOffset}`);
  const fixed = opts.startEpoch ?? null;
  if (fixed !== null && !isInt(fixed, 0, Number.MAX_SAFE_INTEGER)) throw invalid(`evaluate grid: the start epoch must be an integer >= 0, got ${fixed}`);
  const start = (r: EvaluationRun): number => fixed ?? r.stableFromEpoch;
  const windows = Array.from({ length: opts.maxWindow }, (_, i) => i + 1);
  const offsets = Array.from({ length: opts.maxOffset + 1 }, (_, i) => i);
  const cells: GridCell[] = [];
  for (const [method, est] of METHODS) {
    for (const w of windows) {
      for (const o of offsets) {
        const perRun = runs.map((r): [number, number] | null => {
          const p = atWindowEnd(est, { ...r, stableFromEpoch: start(r) + o }, w);
          return p === null || !Number.isFinite(p) ? null : [p, r.measuredJ];
        });
        cells.push(cell(method, w, o, perRun));
      }
    }
  }
  return { windows, offsets, startEpoch: fixed, runs: runs.map((r) => ({ id: r.id, name: r.name ?? null, startEpoch: start(r), epochs: r.epochs.length })), cells };
}

type Metric = 'mapePct' | 'rmseKJ' | 'maeKJ' | 'n';
const METRICS: Array<[Exclude<Metric, 'n'>, string]> = [['mapePct', 'MAPE (%)'], ['rmseKJ', 'RMSE (kJ)'], ['maeKJ', 'MAE (kJ)']];

/** One metric as a matrix: window sizes down, window starts across. */
function matrix(grid: WindowGrid, method: GridMethod, metric: Metric): string[][] {
  const at = new Map(grid.cells.filter((c) => c.method === method).map((c) => [`${c.windowEpochs}:${c.offset}`, c]));
  const text = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : metric === 'n' ? String(v) : v.toFixed(2));
  return [
    ['w \\ start', ...grid.offsets.map((o) => `+${o}`)],
    ...grid.windows.map((w) => [String(w), ...grid.offsets.map((o) => text(at.get(`${w}:${o}`)?.[metric]))]),
  ];
}

function layout(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n');
}

/** The grid as text: per estimator and metric a matrix (rows w, columns the offset); runs scored when they vary. */
export function formatWindowGrid(grid: WindowGrid): string {
  const from = grid.startEpoch === null ? "each run's stabilizing epoch" : `epoch ${grid.startEpoch}`;
  const out = [
    `RQ4 grid (${grid.runs.length} runs): window of w epochs starting +o epochs after ${from}; projection at the window end vs the measured total`,
  ];
  for (const [method] of METHODS) {
    for (const [metric, label] of METRICS) out.push('', `online ${method}, ${label}`, layout(matrix(grid, method, metric)));
  }
  const ns = new Set(grid.cells.map((c) => c.n));
  if (ns.size === 1) out.push('', `every cell scores ${[...ns][0]} runs`);
  else out.push('', 'runs scored (too short for the window: left out)', layout(matrix(grid, 'epoch-energy', 'n')));
  return out.join('\n') + '\n';
}
