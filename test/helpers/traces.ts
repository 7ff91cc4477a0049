// Reads the real nvidia-smi traces in test/fixtures/traces (two header styles, units in cells, cut-off last rows).
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const TRACES_DIR = path.resolve('test/fixtures/traces');

export interface Trace {
  file: string;
  /** Sample times, epoch ms (the file's local time read as UTC: only differences matter). */
  t: number[];
  /** GPU power, W; NaN where the cell was not a number. */
  powerW: number[];
}

export interface TraceReference {
  file: string;
  environment: string;
  architecture: string;
  samples: number;
  gpuEnergyKJ: number;
  durationH: number;
  avgPowerW: number;
  gpuUsagePct: number;
  trainedEpochs: number;
}

function parseTime(s: string): number {
  const iso = s.trim().replace(/\//g, '-').replace(' ', 'T') + 'Z';
  return Date.parse(iso);
}

/** Parses one trace file; rows whose time or power column is cut off are dropped. */
export function readTrace(file: string): Trace {
  const lines = readFileSync(path.join(TRACES_DIR, file), 'utf8').split('\n');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const pi = header.findIndex((h) => h === 'gpu_power_draw' || h.startsWith('power.draw'));
  if (pi < 0) throw new Error(`${file}: no power column in header`);
  const t: number[] = [];
  const powerW: number[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    if (cells.length !== header.length) continue;
    const ts = parseTime(cells[0] ?? '');
    const cell = (cells[pi] ?? '').trim();
    if (!Number.isFinite(ts) || !cell.endsWith('W')) continue;
    t.push(ts);
    powerW.push(Number.parseFloat(cell));
  }
  return { file, t, powerW };
}

/** Rows of reference.csv (the study's published per-run figures). */
export function readReference(): TraceReference[] {
  const lines = readFileSync(path.join(TRACES_DIR, 'reference.csv'), 'utf8').trim().split('\n');
  return lines.slice(1).map((line) => {
    const c = line.split(',');
    return {
      file: c[0] ?? '',
      environment: c[1] ?? '',
      architecture: c[3] ?? '',
      samples: Number(c[4]),
      gpuEnergyKJ: Number(c[5]),
      durationH: Number(c[6]),
      avgPowerW: Number(c[7]),
      gpuUsagePct: Number(c[8]),
      trainedEpochs: Number(c[9]),
    };
  });
}

/** Deterministic PRNG (mulberry32) so synthetic runs are the same on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticRun {
  t: number[];
  powerW: number[];
  /** Epoch end times, ms. */
  epochEnds: number[];
}

/**
 * 1 s samples: `idleS` seconds at ~60 W, `warmEpochs` epochs of noisy ramp to ~250 W, then ~250 W ± noise until
 * `epochs` epochs of ~`epochS` seconds have closed; validation-like dips at each epoch end when `dips` is set.
 */
export function syntheticRun(opts: { seed?: number; epochs?: number; warmEpochs?: number; epochS?: number; idleS?: number; dips?: boolean } = {}): SyntheticRun {
  const { seed = 1, epochs = 30, warmEpochs = 5, epochS = 20, idleS = 15, dips = false } = opts;
  const rand = rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const t0 = Date.UTC(2024, 0, 1);
  const epochEnds: number[] = [];
  let end = idleS;
  for (let e = 1; e <= epochs; e++) {
    end += epochS + 0.3 * gauss();
    epochEnds.push(t0 + Math.round(end * 1000));
  }
  const warmEnd = (epochEnds[warmEpochs - 1]! - t0) / 1000;
  const t: number[] = [];
  const powerW: number[] = [];
  for (let s = 0; s <= end; s++) {
    let w: number;
    if (s < idleS) w = 60 + gauss();
    else if (s < warmEnd) w = 60 + (190 * (s - idleS)) / (warmEnd - idleS) + 15 * gauss();
    else w = 250 + 5 * gauss();
    const toEnd = epochEnds.findIndex((x) => x >= t0 + s * 1000);
    if (dips && s >= warmEnd && toEnd >= 0 && epochEnds[toEnd]! - (t0 + s * 1000) < 3000) w -= 70;
    t.push(t0 + s * 1000);
    powerW.push(w);
  }
  return { t, powerW, epochEnds };
}
