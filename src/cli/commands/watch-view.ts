import type { RunJson } from '../../runs/report.js';
import { fmtDuration, fmtJ, fmtKWh, printable } from '../format.js';

/** The latest second of one GPU's power, from the event stream's `sample` events. */
export interface GpuPower {
  uuid: string;
  index: number | null;
  w: number;
}

/** What one update shows (and what `--json` prints). */
export interface WatchState {
  id: string;
  name: string | null;
  status: string;
  durationS: number;
  epochsDone: number;
  expectedEpochs: number | null;
  energyJ: number;
  powerW: GpuPower[];
  totalPowerW: number | null;
  projection: { method: 'epoch-energy' | 'power-based'; j: number; band: [number, number] | null; provisional: boolean } | null;
  timeLeftS: number | null;
  /** The run's `--budget`, as in the run JSON (null: none). */
  budget: RunJson['budget'];
}

function primary(p: RunJson['projection']): WatchState['projection'] {
  if (!p) return null;
  if (p.epochEnergyBasedJ !== null) return { method: 'epoch-energy', j: p.epochEnergyBasedJ, band: p.bands?.epochEnergyBasedJ ?? null, provisional: p.provisional };
  if (p.powerBasedJ !== null) return { method: 'power-based', j: p.powerBasedJ, band: p.bands?.powerBasedJ ?? null, provisional: p.provisional };
  return null;
}

/** Seconds left: the projection's remaining time, else the mean epoch duration times the epochs left; null when unknown. */
function timeLeft(run: RunJson, done: number): number | null {
  if (run.status !== 'running') return null;
  const r = run.projection?.epochEnergyBased?.remainingS ?? run.projection?.powerBased?.remainingS;
  if (typeof r === 'number' && Number.isFinite(r)) return r;
  const finished = (run.epochs ?? []).filter((e) => e.durationS !== null);
  if (!run.expectedEpochs || finished.length === 0) return null;
  const mean = finished.reduce((a, e) => a + (e.durationS ?? 0), 0) / finished.length;
  return Math.max(0, run.expectedEpochs - done) * mean;
}

export function watchState(run: RunJson, power: Map<string, GpuPower>): WatchState {
  const done = (run.epochs ?? []).filter((e) => e.endedAt !== null).length;
  const gpus = [...power.values()].sort((a, b) => (a.index ?? 1e9) - (b.index ?? 1e9));
  return {
    id: run.id, name: run.name, status: run.status, durationS: run.durationS, epochsDone: done, expectedEpochs: run.expectedEpochs,
    energyJ: run.energy.totalJ, powerW: gpus, totalPowerW: gpus.length ? gpus.reduce((a, g) => a + g.w, 0) : null,
    projection: primary(run.projection), timeLeftS: timeLeft(run, done), budget: run.budget ?? null,
  };
}

const fmtW = (w: number): string => `${w.toFixed(w >= 100 ? 0 : 1)} W`;
const epochs = (s: WatchState): string => `${s.epochsDone}${s.expectedEpochs ? `/${s.expectedEpochs}` : ''}`;

function projected(s: WatchState): string {
  const p = s.projection;
  if (!p) return '—';
  const band = p.band && p.band[1] > p.band[0] ? ` ± ${fmtJ((p.band[1] - p.band[0]) / 2)} (95 %: ${fmtJ(p.band[0])} – ${fmtJ(p.band[1])})` : '';
  return `${fmtJ(p.j)}${band} ${p.method}${p.provisional ? ', provisional' : ''}`;
}

/** "500 J, exceeded: why" or "500 J (stop), holds"; null without a budget. */
const budgetText = (s: WatchState): string | null =>
  s.budget === null ? null : `${fmtJ(s.budget.limitJ)} (${s.budget.action}), ${s.budget.exceeded ? `exceeded: ${s.budget.reason ?? ''}` : 'holds'}`;

const gpuList = (s: WatchState): string =>
  s.powerW.length === 0 ? 'no GPU sample yet' : s.powerW.map((g) => `GPU${g.index ?? '?'} ${fmtW(g.w)}`).join(', ');

/** One line per update, for a pipe or a log. */
export function plainLine(s: WatchState): string {
  return printable(`${s.id} ${s.status} ${fmtDuration(s.durationS)} | epochs ${epochs(s)} | energy ${fmtJ(s.energyJ)} | ` +
    `power ${gpuList(s)} | projected ${projected(s)} | left ${s.timeLeftS === null ? '—' : fmtDuration(s.timeLeftS)}` +
    (s.budget === null ? '' : ` | budget ${budgetText(s)}`));
}

/** The block redrawn in place on a terminal. */
export function block(s: WatchState): string[] {
  return [
    printable(`run       ${s.id}${s.name ? ` (${s.name})` : ''}: ${s.status}, ${fmtDuration(s.durationS)}`),
    printable(`power     ${gpuList(s)}${s.powerW.length > 1 && s.totalPowerW !== null ? `; total ${fmtW(s.totalPowerW)}` : ''}`),
    `epochs    ${epochs(s)}${s.expectedEpochs ? '' : ' (total unknown)'}`,
    `energy    ${fmtJ(s.energyJ)} = ${fmtKWh(s.energyJ)}${s.status === 'running' ? ' so far' : ''}`,
    `projected ${projected(s)}`,
    `time left ${s.timeLeftS === null ? '—' : `≈ ${fmtDuration(s.timeLeftS)}`}`,
    ...(s.budget === null ? [] : [printable(`budget    ${budgetText(s)}`)]),
  ];
}

/** ANSI: back to the first line of the previous block and clear to the end of the screen. */
export const redraw = (prevLines: number, lines: string[]): string =>
  `${prevLines > 0 ? `\x1b[${prevLines}F\x1b[J` : ''}${lines.join('\n')}\n`;
