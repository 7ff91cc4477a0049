import { parseArgs } from 'node:util';
import { evaluate, formatEvaluationTable, type EvaluationRun } from '../../analysis/evaluate.js';
import { NESTED_LOO_MAX } from '../../analysis/krr.js';
import { MIN_OFFLINE_RUNS } from '../../analysis/offline.js';
import { formatWindowGrid, GRID_LIMIT, windowGrid, type GridOptions } from '../../analysis/evaluate-grid.js';
import type { Config } from '../../config/schema.js';
import { invalid, usage } from '../../errors.js';
import { offlineCorpus } from '../../runs/offline.js';
import { powerSeries } from '../../runs/power-series.js';
import { withRunSet, type RunSet } from '../../runs/open.js';
import { runJson, type RunJson } from '../../runs/report.js';
import type { RunRow } from '../../store/runs.js';
import { argError } from '../help.js';

export interface TimeWindowRow {
  id: string;
  name: string | null;
  measuredKJ: number;
  powerWindowKJ: number | null;
  mlco2KJ: number | null;
  greenAlgorithmsKJ: number | null;
}

/**
 * For runs without epoch boundaries: the power-based estimator on the time axis — mean power (GPU + RAM) over
 * `windowS` after the FLUSS point (or the start) × the run's duration.
 */
function timeWindowEstimate(set: RunSet, row: RunRow, j: RunJson, windowS: number): number | null {
  if (row.ended_at === null) return null;
  const grid = powerSeries(set.reader, row, set.runs.devices(row.rid).map((d) => d.id), row.ended_at, set.cfg);
  const from = j.stabilization?.flussAt ? Date.parse(j.stabilization.flussAt) : row.started_at;
  let sum = 0;
  let n = 0;
  grid.t.forEach((t, i) => {
    const w = grid.powerW[i] as number;
    if (t >= from && t <= from + windowS * 1000 && Number.isFinite(w)) {
      sum += w;
      n++;
    }
  });
  if (n === 0) return null;
  // The detector's series is GPU power only (the study's trace); the measured total has RAM too: add its mean.
  const rss = set.reader.rssPage(row.rid, from - 1, from + windowS * 1000, 100_000).map(([, b]) => (b / 1048576) * (set.cfg.ramWattsPerGB / 1000));
  const ramW = rss.length > 0 ? rss.reduce((a, x) => a + x, 0) / rss.length : 0;
  return (sum / n + ramW) * ((row.ended_at - row.started_at) / 1000);
}

const err = (pairs: [number, number][]) => {
  const n = pairs.length;
  if (n === 0) return { n, rmseKJ: null, maeKJ: null, mapePct: null };
  const e = pairs.map(([p, m]) => p - m);
  return {
    n,
    rmseKJ: Math.sqrt(e.reduce((a, x) => a + x * x, 0) / n),
    maeKJ: e.reduce((a, x) => a + Math.abs(x), 0) / n,
    mapePct: (pairs.reduce((a, [p, m]) => a + Math.abs(p - m) / m, 0) / n) * 100,
  };
};

export const EVALUATE_HELP = `Usage: profiler evaluate [--json] [--window-s S] [--grid [--max-window W] [--max-offset K] [--start-epoch N]]

The accuracy of every estimator over the finished runs (the study's Table 10 layout); with --grid also the
online estimators' error by window size and window start (docs/evaluation.md).

Options:
  --window-s S        runs without epochs: mean power over S seconds after the FLUSS point × duration (default 300)
  --grid              the window × offset grid
  --max-window W      grid: longest window in epochs (default 10)
  --max-offset K      grid: largest offset after the stabilizing epoch (default 10)
  --start-epoch N     grid: start at epoch N instead of each run's stabilizing epoch
  --json              the evaluation as JSON
  -h, --help          this help

Example:
  profiler evaluate --grid --max-window 5`;

const GRID_FLAGS = ['max-window', 'max-offset', 'start-epoch'] as const;

/** The grid's options (`--grid [--max-window W] [--max-offset K] [--start-epoch N]`); null without `--grid`. */
function gridOptions(values: { grid?: boolean } & Partial<Record<(typeof GRID_FLAGS)[number], string>>): GridOptions | null {
  const stray = GRID_FLAGS.find((f) => values[f] !== undefined);
  if (!values.grid) {
    if (stray) throw usage(`--${stray} is an option of --grid: profiler evaluate --grid [--max-window W] [--max-offset K] [--start-epoch N]`);
    return null;
  }
  const int = (flag: (typeof GRID_FLAGS)[number], fallback: number | null, min: number, max: number): number | null => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    // Number('') is 0 and Number('1e1') is 10: only plain digits are a count.
    const v = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(v) || v < min || v > max) throw invalid(`--${flag} must be an integer ${min}-${max}, got "${raw}"`);
    return v;
  };
  return {
    maxWindow: int('max-window', 10, 1, GRID_LIMIT) as number,
    maxOffset: int('max-offset', 10, 0, GRID_LIMIT) as number,
    // No training run has 100,000 epochs: a bigger number is a typo, not a start.
    startEpoch: int('start-epoch', null, 0, 100_000),
  };
}

/** `profiler evaluate [--json] [--window-s S] [--grid …]`: each estimator's error over the finished runs. */
export function evaluateCommand(cfg: Config, argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        'window-s': { type: 'string' },
        grid: { type: 'boolean', default: false },
        ...Object.fromEntries(GRID_FLAGS.map((f) => [f, { type: 'string' as const }])),
      },
    });
  } catch (err) {
    throw argError(err, EVALUATE_HELP, 'evaluate');
  }
  const { values } = parsed;
  const windowS = values['window-s'] === undefined ? 300 : Number(values['window-s']);
  if (!Number.isFinite(windowS) || windowS <= 0) throw invalid(`--window-s must be a positive number of seconds, got "${values['window-s']}"`);
  const gridOpts = gridOptions(values);
  return withRunSet(cfg, (set) => {
    const withEpochs: EvaluationRun[] = [];
    const timeRows: TimeWindowRow[] = [];
    for (const row of set.runs.list()) {
      if (row.status === 'running' || row.status === 'failed' || row.ended_at === null) continue;
      const j = runJson(set, row, { epochs: true });
      const ep = (j.epochs ?? []).filter((e) => e.energyJ !== null && e.durationS !== null && e.durationS > 0);
      const s = j.stabilization?.epoch;
      if (ep.length > 0 && typeof s === 'number') {
        withEpochs.push({
          id: j.id,
          name: j.name,
          epochs: ep.map((e) => ({ epoch: e.epoch, durationS: e.durationS as number, energyJ: e.energyJ as number, avgPowerW: e.avgPowerW ?? 0 })),
          measuredJ: j.energy.totalJ,
          stableFromEpoch: s,
          ...(j.baselines.mlco2J !== null && j.baselines.greenAlgorithmsJ !== null
            ? { baselines: { mlco2J: j.baselines.mlco2J, greenAlgorithmsJ: j.baselines.greenAlgorithmsJ } }
            : {}),
        });
      } else if (ep.length === 0 && j.energy.totalJ > 0) {
        const pw = timeWindowEstimate(set, row, j, windowS);
        const kj = (v: number | null): number | null => (v === null ? null : v / 1000);
        timeRows.push({ id: j.id, name: j.name, measuredKJ: j.energy.totalJ / 1000, powerWindowKJ: kj(pw), mlco2KJ: kj(j.baselines.mlco2J), greenAlgorithmsKJ: kj(j.baselines.greenAlgorithmsJ) });
      }
    }
    const scored = withEpochs.filter((r) => r.measuredJ > 0);
    const corpus = offlineCorpus(set);
    const rows = evaluate(scored, cfg.stabilization.windowEpochs, corpus.runs);
    const offline = { runs: corpus.runs.length, needed: MIN_OFFLINE_RUNS, nestedLoo: corpus.runs.length <= NESTED_LOO_MAX, incomplete: corpus.skipped };
    const grid = gridOpts === null ? null : windowGrid(scored, gridOpts);
    const pick = (f: (r: TimeWindowRow) => number | null): [number, number][] =>
      timeRows.flatMap((r) => (f(r) === null ? [] : [[f(r) as number, r.measuredKJ] as [number, number]]));
    const timeSummary = {
      windowS,
      powerWindow: err(pick((r) => r.powerWindowKJ)),
      mlco2: err(pick((r) => r.mlco2KJ)),
      greenAlgorithms: err(pick((r) => r.greenAlgorithmsKJ)),
    };
    if (values.json) {
      const out = { windowEpochs: cfg.stabilization.windowEpochs, withEpochs: rows, offline, withoutEpochs: { runs: timeRows, summary: timeSummary } };
      process.stdout.write(JSON.stringify(grid === null ? out : { ...out, grid }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write(`Runs with epochs (${withEpochs.length}): projection at the end of the ${cfg.stabilization.windowEpochs}-epoch window vs the measured total\n`);
    process.stdout.write(formatEvaluationTable(rows));
    process.stdout.write(`offline columns: leave-one-out over the ${offline.runs} finished runs with every offline feature` +
      (offline.runs < MIN_OFFLINE_RUNS ? ` (need ${MIN_OFFLINE_RUNS}; see README, "Offline estimate")` : '') + '\n\n');
    process.stdout.write(`Runs without epochs (${timeRows.length}): mean power over ${windowS} s after the FLUSS point × duration\n`);
    const f = (v: number | null): string => (v === null ? '—' : v.toFixed(2));
    const lines = [['', 'time-window power', 'MLCO2', 'GA'], ...(['rmseKJ', 'maeKJ', 'mapePct'] as const).map((k) => [
      k === 'rmseKJ' ? 'RMSE (kJ)' : k === 'maeKJ' ? 'MAE (kJ)' : 'MAPE (%)',
      f(timeSummary.powerWindow[k]), f(timeSummary.mlco2[k]), f(timeSummary.greenAlgorithms[k]),
    ])];
    for (const l of lines) process.stdout.write(l.map((c, i) => (i === 0 ? c.padEnd(10) : c.padStart(18))).join('') + '\n');
    if (grid !== null) process.stdout.write('\n' + formatWindowGrid(grid));
    return 0;
  });
}
