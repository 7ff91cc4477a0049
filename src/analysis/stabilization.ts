import type { StabilizationConfig } from '../config/schema.js';
import { invalid } from '../errors.js';
import { fluss } from './fluss.js';
import { coarsen, countAtOrBefore, slotTime, toGrid, type Grid } from './grid.js';
import { matrixProfile } from './matrix-profile.js';

export interface Stabilization {
  method: 'fluss' | 'fixed';
  /** Stabilizing time chosen, epoch ms (FLUSS location, or the start of the fixed epoch). */
  at: number;
  /** Stabilizing epoch (1-based): the first closed epoch whose end is after `at`; null while none is. */
  epoch: number | null;
  /** CAC at the FLUSS location; null when too few samples were there to run FLUSS. */
  cacMin: number | null;
  /** Time of the FLUSS location (also with method 'fixed'); null when FLUSS could not run. */
  flussAt: number | null;
  /** The stabilizing epoch is settled (FLUSS candidate met the rule, or the fixed fallback); false: provisional. */
  confident: boolean;
  reason: string;
}

/** The confidence rule's thresholds (docs/stabilization.md gives the figures they were chosen on). */
export interface ConfidenceRule {
  /** Closed epochs needed after the stabilizing epoch. */
  followEpochs: number;
  /** Largest coefficient of variation of per-epoch mean power over those epochs. */
  maxCv: number;
  /** Largest move of the stabilizing epoch when the last closed epoch is left out. */
  maxShift: number;
  /** Lowest ratio of the stable epochs' mean power to the highest per-epoch mean before them (idle stretches). */
  minLevel: number;
}

export const DEFAULT_RULE: ConfidenceRule = { followEpochs: 2, maxCv: 0.02, maxShift: 1, minLevel: 0.8 };
export const DEFAULT_MAX_POINTS = 20_000;

/**
 * Grids and matrix profiles of a series' prefixes kept as it was recorded (a live run's streaming profile): the
 * detector reads them instead of computing a profile, so it sees every sample however long the run is.
 */
export interface ProfileSource {
  /**
   * The grid of the samples at or before `until` and (when asked) its profile indices at window config.m; null: none
   * kept. `memo`, when given, lives as long as that prefix: the detector keeps its FLUSS location there (a prefix
   * read again at the next epoch, as the location without the last epoch, is not located twice).
   */
  at(until: number): PrefixProfile | null;
}

export interface PrefixProfile {
  grid: Grid;
  indices: () => Int32Array;
  memo?: Map<string, unknown>;
}

export interface StabilizationInput {
  /** Sample times, epoch ms, ascending. */
  t: ArrayLike<number>;
  /** Power in W per sample (GPU + RAM as the caller decides); NaN/null where missing. */
  powerW: ArrayLike<number>;
  /** End times of the closed epochs, epoch ms, ascending. */
  epochEnds: number[];
  config: StabilizationConfig;
  /** Largest series FLUSS analyses; longer ones are coarsened (default 20,000). */
  maxPoints?: number;
  rule?: Partial<ConfidenceRule>;
  /** Prefix profiles of this very series (t, powerW): used instead of gridding and profiling, never coarsened. */
  profiles?: ProfileSource;
}

interface Candidate {
  flussAt: number;
  cacMin: number;
  epoch: number | null;
  note: string;
}

function checkInput(input: StabilizationInput): void {
  if (input === null || typeof input !== 'object') throw invalid('stabilization: input must be an object');
  const { t, powerW, epochEnds, config } = input;
  if (t === null || powerW === null || typeof t !== 'object' || typeof powerW !== 'object' || t.length !== powerW.length) {
    throw invalid('stabilization: t and powerW must be arrays of the same length');
  }
  for (let i = 0; i < t.length; i++) {
    if (typeof t[i] !== 'number' || !Number.isFinite(t[i]) || (i > 0 && t[i]! < t[i - 1]!)) {
      throw invalid(`stabilization: t[${i}] is not a finite time in ascending order`);
    }
  }
  if (!Array.isArray(epochEnds)) throw invalid('stabilization: epochEnds must be an array of times');
  epochEnds.forEach((e, i) => {
    if (typeof e !== 'number' || !Number.isFinite(e)) throw invalid(`stabilization: epochEnds[${i}] is not a time`);
    if (i > 0 && e < epochEnds[i - 1]!) throw invalid('stabilization: epochEnds must be ascending');
  });
  if (config === null || typeof config !== 'object') throw invalid('stabilization: config is missing');
  for (const key of ['m', 'L', 'exclFactor', 'nRegimes', 'fixedEpoch'] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw invalid(`stabilization: config.${key} must be a positive integer`);
  }
  const mp = input.maxPoints ?? DEFAULT_MAX_POINTS;
  if (!Number.isInteger(mp) || mp < 100) throw invalid(`stabilization: maxPoints must be an integer >= 100, got ${mp}`);
}

/** Grid of the samples up to `until`, coarsened to at most maxPoints; `factor` says by how much. */
function gridUntil(input: StabilizationInput, until: number, maxPoints: number): { grid: Grid; factor: number; kept?: PrefixProfile } {
  const kept = input.profiles?.at(until);
  if (kept) return { grid: kept.grid, factor: 1, kept };
  const n = firstAfter(input.t, until);
  const grid = toGrid(head(input.t, n), head(input.powerW, n), input.config.gridMs);
  const factor = Math.max(1, Math.ceil(grid.values.length / maxPoints));
  return { grid: coarsen(grid, factor), factor };
}

/** The first n values: a view for typed arrays (no copy), a slice otherwise. */
function head(a: ArrayLike<number>, n: number): ArrayLike<number> {
  if (ArrayBuffer.isView(a)) return (a as unknown as Float64Array).subarray(0, n);
  return Array.prototype.slice.call(a, 0, n) as number[];
}

/** FLUSS's lowest-CAC regime location on the grid, or null when the grid is too short or mostly missing. */
function locate(grid: Grid, ends: readonly number[], config: StabilizationConfig, kept?: PrefixProfile): Candidate | null {
  const n = grid.values.length;
  const k = n - config.m + 1;
  const blanked = 2 * config.L * config.exclFactor;
  let finite = 0;
  const values = grid.values;
  for (let i = 0; i < n; i++) if (values[i] === values[i]) finite++; // not NaN (an indexed loop: 864k values per update)
  if (n < 2 * config.m || k <= blanked || finite < n / 2) return null;
  const memoKey = `fluss:${config.m}:${config.L}:${config.nRegimes}:${config.exclFactor}`;
  let found = kept?.memo?.get(memoKey) as { loc: number; cacMin: number } | undefined;
  if (found === undefined) {
    const indices = kept ? kept.indices() : matrixProfile(grid.values, config.m).indices;
    const { cac, regimes } = fluss(indices, config.L, config.nRegimes, config.exclFactor);
    found = { loc: regimes[0]!, cacMin: cac[regimes[0]!]! };
    kept?.memo?.set(memoKey, found);
  }
  const flussAt = slotTime(grid, found.loc);
  const idx = ends.findIndex((e) => e > flussAt);
  return { flussAt, cacMin: found.cacMin, epoch: idx < 0 ? null : idx + 1, note: '' };
}

/** First sample index with t > time. */
const firstAfter = (t: ArrayLike<number>, time: number): number => countAtOrBefore(t, time);

/** Mean of the finite readings in (from, to]. */
function meanPower(input: StabilizationInput, from: number, to: number): number {
  let sum = 0;
  let count = 0;
  for (let i = firstAfter(input.t, from); i < input.t.length && input.t[i]! <= to; i++) {
    const v = input.powerW[i] as unknown;
    if (typeof v === 'number' && Number.isFinite(v)) {
      sum += v;
      count++;
    }
  }
  return count > 0 ? sum / count : NaN;
}

/** Mean power of each epoch first..last (1-based); NaN for an epoch without a reading. */
function epochMeans(input: StabilizationInput, ends: readonly number[], first: number, last: number): number[] {
  const means: number[] = [];
  for (let e = first; e <= last; e++) means.push(meanPower(input, ends[e - 2] ?? -Infinity, ends[e - 1]!));
  return means;
}

/** Coefficient of variation of the per-epoch mean power of epochs first..last (1-based); NaN if one has no sample. */
export function epochPowerCv(input: StabilizationInput, ends: readonly number[], first: number, last: number): number {
  const means = epochMeans(input, ends, first, last);
  if (means.length === 0 || means.some(Number.isNaN)) return NaN;
  const mu = means.reduce((a, b) => a + b, 0) / means.length;
  const sd = Math.sqrt(means.reduce((a, b) => a + (b - mu) ** 2, 0) / means.length);
  return mu > 0 ? sd / mu : NaN;
}

/** Stable epochs' mean power over the highest per-epoch mean up to the stabilizing epoch. */
function levelRatio(input: StabilizationInput, ends: readonly number[], epoch: number): number {
  const before = epochMeans(input, ends, 1, epoch).filter((v) => !Number.isNaN(v));
  const after = epochMeans(input, ends, epoch + 1, ends.length);
  const peak = Math.max(...before);
  return before.length === 0 ? 1 : after.reduce((a, b) => a + b, 0) / after.length / peak;
}

const sec = (ms: number, t0: number): string => `${((ms - t0) / 1000).toFixed(0)} s`;

/** Applies the confidence rule; returns the failed checks (empty: confident) and the passed ones for the reason. */
function judge(
  input: StabilizationInput,
  c: Candidate,
  ends: readonly number[],
  locEnds: readonly number[],
  until: number,
  maxPoints: number,
  rule: ConfidenceRule,
): { failed: string[]; passed: string[] } {
  const failed: string[] = [];
  const passed: string[] = [];
  if (c.cacMin >= 1) return { failed: ['FLUSS found no change (CAC 1 everywhere)'], passed };
  if (c.epoch === null) return { failed: ['the candidate lies in the open epoch'], passed };
  const after = ends.length - c.epoch;
  if (after < rule.followEpochs) failed.push(`${after} closed epochs after epoch ${c.epoch} (need ${rule.followEpochs})`);
  else {
    const cv = epochPowerCv(input, ends, c.epoch + 1, ends.length);
    const cvText = `CV ${(cv * 100).toFixed(1)} % of per-epoch mean power over epochs ${c.epoch + 1}-${ends.length}`;
    if (Number.isNaN(cv) || cv > rule.maxCv) failed.push(`${cvText} (max ${(rule.maxCv * 100).toFixed(1)} %)`);
    else passed.push(cvText);
    const level = levelRatio(input, ends, c.epoch);
    const levelText = `their power ${(level * 100).toFixed(0)} % of the highest epoch before`;
    if (!(level >= rule.minLevel)) failed.push(`${levelText} (min ${(rule.minLevel * 100).toFixed(0)} %: idle stretch?)`);
  }
  if (failed.length > 0) return { failed, passed };
  const prevEnds = locEnds.slice(0, -1);
  const { grid, kept } = gridUntil(input, Math.min(until, prevEnds[prevEnds.length - 1]!), maxPoints);
  const prev = locate(grid, prevEnds, input.config, kept);
  const shift = prev?.epoch == null ? Infinity : Math.abs(prev.epoch - c.epoch);
  const moved = `without epoch ${locEnds.length} FLUSS gives epoch ${prev?.epoch ?? 'none'}`;
  if (shift > rule.maxShift) failed.push(`${moved} (moves more than ${rule.maxShift})`);
  else passed.push(moved);
  return { failed, passed };
}

/**
 * Finds where a run's power stabilizes: FLUSS (stumpy semantics) on the power grid, the lowest-CAC regime location
 * as candidate, accepted by the confidence rule, else the fixed epoch. From epoch `fixedEpoch` on, only the data up to
 * its end is located in; a candidate there may still take the `followEpochs` epochs after it to be confirmed (so
 * the decision is final by epoch fixedEpoch + followEpochs at the latest; the fixed fallback's window, which starts
 * after epoch fixedEpoch, could not close sooner anyway).
 */
export function detectStabilization(input: StabilizationInput): Stabilization | null {
  checkInput(input);
  const { config } = input;
  const maxPoints = input.maxPoints ?? DEFAULT_MAX_POINTS;
  const rule = { ...DEFAULT_RULE, ...input.rule };
  const located = input.epochEnds.length >= config.fixedEpoch;
  const locEnds = located ? input.epochEnds.slice(0, config.fixedEpoch) : input.epochEnds;
  const lastT = input.t.length > 0 ? input.t[input.t.length - 1]! : NaN;
  const until = located ? locEnds[locEnds.length - 1]! : lastT;
  const { grid, factor, kept } = gridUntil(input, until, maxPoints);
  const coarse = factor > 1 ? `; grid coarsened ×${factor} to ${grid.values.length} points (maxPoints ${maxPoints})` : '';
  const c = locate(grid, locEnds, config, kept);
  const t0 = grid.t0;
  const fixed = (why: string): Stabilization => ({
    method: 'fixed',
    at: config.fixedEpoch >= 2 ? locEnds[config.fixedEpoch - 2]! : (input.t[0] ?? NaN),
    epoch: config.fixedEpoch,
    cacMin: c?.cacMin ?? null,
    flussAt: c?.flussAt ?? null,
    confident: true,
    reason: `fixed epoch ${config.fixedEpoch}: ${why}${coarse}`,
  });
  if (c === null) return located ? fixed('too few samples for FLUSS') : null;
  const needed = c.epoch === null ? locEnds.length : Math.max(locEnds.length, c.epoch + rule.followEpochs);
  const ends = located ? input.epochEnds.slice(0, needed) : locEnds;
  const decided = located && ends.length >= needed;
  const where = `FLUSS at ${sec(c.flussAt, t0)} (CAC ${c.cacMin.toFixed(3)}) → epoch ${c.epoch ?? 'open'}`;
  const { failed, passed } = judge(input, c, ends, locEnds, until, maxPoints, rule);
  if (failed.length === 0) {
    return { method: 'fluss', at: c.flussAt, epoch: c.epoch, cacMin: c.cacMin, flussAt: c.flussAt, confident: true, reason: `${where}; ${passed.join('; ')}${coarse}` };
  }
  if (decided) return fixed(`${where} not confirmed by epoch ${ends.length}: ${failed.join('; ')}`);
  return { method: 'fluss', at: c.flussAt, epoch: c.epoch, cacMin: c.cacMin, flussAt: c.flussAt, confident: false, reason: `${where}; not yet confident: ${failed.join('; ')}${coarse}` };
}

/** Closed epochs after which the detector reads nothing more: its last possible confirmation (see above). */
export function decisionHorizonEpochs(config: Pick<StabilizationConfig, 'fixedEpoch'>, rule: Partial<ConfidenceRule> = {}): number {
  return config.fixedEpoch + (rule.followEpochs ?? DEFAULT_RULE.followEpochs);
}
