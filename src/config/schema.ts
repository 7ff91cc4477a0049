import { invalid } from '../errors.js';

export interface StabilizationConfig {
  gridMs: number;
  m: number;
  L: number;
  exclFactor: number;
  nRegimes: number;
  fixedEpoch: number;
  windowEpochs: number;
  /** Longest power grid FLUSS analyses; longer ones are coarsened (bounded cost: two matrix profiles of this size). */
  maxPoints?: number;
}

export interface Config {
  home: string;
  port: number;
  host: string;
  token: string | null;
  nvidiaSmi: string;
  sampleMs: number;
  processSampleMs: number;
  computeAppsPollMs: number;
  inventoryTimeoutMs: number;
  watchdogIntervals: number;
  gapIntervals: number;
  samplerLingerMs: number;
  baselineMs: number;
  ramWattsPerGB: number;
  procRoot: string;
  powercapRoot: string;
  daemonStartTimeoutMs: number;
  flushMs: number;
  /** A run whose command is gone this long without being finished (its client died) is marked interrupted. */
  orphanAfterMs: number;
  stabilization: StabilizationConfig;
  carbonIntensityGPerKWh: number;
  pue: number;
}

type Rule = { kind: 'int' | 'num'; min: number; max: number } | { kind: 'str' } | { kind: 'strOrNull' };
const int = (min: number, max: number): Rule => ({ kind: 'int', min, max });
const num = (min: number, max: number): Rule => ({ kind: 'num', min, max });

export const RULES: Record<string, Rule> = {
  port: int(0, 65535),
  host: { kind: 'str' },
  token: { kind: 'strOrNull' },
  nvidiaSmi: { kind: 'str' },
  sampleMs: int(10, 60_000),
  processSampleMs: int(50, 60_000),
  computeAppsPollMs: int(100, 600_000),
  inventoryTimeoutMs: int(100, 600_000),
  watchdogIntervals: int(2, 1000),
  gapIntervals: num(1, 1000),
  samplerLingerMs: int(0, 3_600_000),
  baselineMs: int(0, 600_000),
  ramWattsPerGB: num(0, 100),
  procRoot: { kind: 'str' },
  powercapRoot: { kind: 'str' },
  daemonStartTimeoutMs: int(100, 120_000),
  flushMs: int(10, 5000),
  orphanAfterMs: int(1000, 3_600_000),
  carbonIntensityGPerKWh: num(0, 5000),
  pue: num(1, 10),
  'stabilization.gridMs': int(10, 600_000),
  'stabilization.m': int(3, 10_000),
  'stabilization.L': int(1, 10_000),
  'stabilization.exclFactor': int(1, 100),
  'stabilization.nRegimes': int(2, 10),
  'stabilization.fixedEpoch': int(1, 100_000),
  'stabilization.windowEpochs': int(1, 10_000),
  'stabilization.maxPoints': int(100, 1_000_000),
};

/** Checks one value against its rule; `where` names the layer it came from for the message. */
export function checkValue(key: string, value: unknown, where: string): unknown {
  const rule = RULES[key];
  if (!rule) throw invalid(`${where}: unknown setting "${key}"`);
  const fail = (what: string): never => {
    throw invalid(`${where}: setting "${key}" ${what} (got ${JSON.stringify(value)})`);
  };
  if (rule.kind === 'str') {
    if (typeof value !== 'string' || value.length === 0) fail('must be a non-empty string');
    return value;
  }
  if (rule.kind === 'strOrNull') {
    if (value !== null && (typeof value !== 'string' || value.length === 0)) fail('must be a non-empty string or null');
    return value;
  }
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) fail('must be a number');
  const v = n as number;
  if (rule.kind === 'int' && !Number.isInteger(v)) fail('must be an integer');
  if (v < rule.min || v > rule.max) fail(`must be between ${rule.min} and ${rule.max}`);
  return v;
}
