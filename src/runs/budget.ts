import type { ProjectionJson } from '../analysis/estimators/index.js';
import type { Stabilization } from '../analysis/stabilization.js';
import { invalid } from '../errors.js';

export type BudgetAction = 'warn' | 'stop';

/** A run's energy budget as the client asks for it (`profiler run --budget E --on-budget A`). */
export interface BudgetSpec {
  limitJ: number;
  action: BudgetAction;
}

/** The run JSON's `budget` (CONTRACT.md), plus why it was exceeded. */
export interface BudgetState extends BudgetSpec {
  exceeded: boolean;
  /** When it was found exceeded, epoch ms; null while it is not. */
  at: number | null;
  reason: string | null;
}

const UNITS: Record<string, number> = { j: 1, kj: 1e3, mj: 1e6, gj: 1e9, wh: 3600, kwh: 3.6e6, mwh: 3.6e9 };

/** `2.5kWh`, `9000kJ`, `500J`, `1.2 MJ` → joules; a clear error for anything else (no unit is ambiguous). */
export function parseEnergy(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]+)\s*$/.exec(text);
  const unit = m ? UNITS[(m[2] as string).toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw invalid(`energy "${text}" must be a number with a unit: J, kJ, MJ, GJ, Wh, kWh or MWh (e.g. 2.5kWh, 9000kJ, 500J)`);
  }
  const j = Number(m[1]) * unit;
  if (!(j > 0) || !Number.isFinite(j)) throw invalid(`energy "${text}" must be above zero`);
  return j;
}

/** J in the largest unit that keeps the figure readable: 812 J, 12.3 kJ, 4.56 MJ (and kWh beside MJ). */
export function energyText(j: number): string {
  const a = Math.abs(j);
  if (a >= 1e6) return `${(j / 1e6).toPrecision(3)} MJ (${(j / 3.6e6).toPrecision(3)} kWh)`;
  if (a >= 1e3) return `${(j / 1e3).toPrecision(3)} kJ`;
  return `${j.toPrecision(3)} J`;
}

/**
 * Whether the budget is exceeded now: by the energy measured so far, or by the projection once it can be trusted
 * (a confident stabilizing epoch and a complete window) and even its 95 % band's low end is above the limit (the
 * epoch-energy projection, the one shown first; the power-based one where it alone has a band). Null: not (yet).
 */
export function budgetVerdict(
  spec: BudgetSpec,
  measuredJ: number,
  projection: ProjectionJson | null,
  stabilization: Pick<Stabilization, 'confident'> | null,
): string | null {
  const limit = energyText(spec.limitJ);
  if (measuredJ > spec.limitJ) return `measured ${energyText(measuredJ)} is above the budget of ${limit}`;
  if (!projection || projection.provisional || stabilization?.confident !== true) return null;
  const pick = projection.bands?.epochEnergyBasedJ
    ? { name: 'epoch-energy', j: projection.epochEnergyBasedJ, band: projection.bands.epochEnergyBasedJ }
    : projection.bands?.powerBasedJ ? { name: 'power-based', j: projection.powerBasedJ, band: projection.bands.powerBasedJ } : null;
  if (!pick || pick.j === null || !(pick.band[0] > spec.limitJ)) return null;
  return `projected ${energyText(pick.j)} (${pick.name}; 95 % band from ${energyText(pick.band[0])}) is above the budget of ${limit}`;
}
