// The detector update the daemon runs after each epoch (FLUSS + confidence rule), on a 24 h run at a 1 s grid.
import { detectStabilization, DEFAULT_MAX_POINTS } from '../analysis/stabilization.js';
import { loadConfig } from '../config/load.js';
import { figure, type Figure } from './util.js';

/** A run of `seconds` at 1 Hz: a 20-minute warm-up ramp, then a noisy plateau; `epochs` equal epochs. */
export function synthRun(seconds: number, epochs: number): { t: Float64Array; powerW: Float64Array; epochEnds: number[] } {
  const t0 = Date.UTC(2026, 0, 1);
  const t = new Float64Array(seconds);
  const powerW = new Float64Array(seconds);
  let s = 7;
  for (let i = 0; i < seconds; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    t[i] = t0 + i * 1000 + 500;
    powerW[i] = (i < 1200 ? 150 + (400 * i) / 1200 : 550) + 20 * Math.sin(i / 30) + ((s >>> 8) % 1000) / 100;
  }
  const epochEnds = Array.from({ length: epochs }, (_, e) => t0 + Math.round(((e + 1) * seconds * 1000) / epochs));
  return { t, powerW, epochEnds };
}

function timeDetect(input: Parameters<typeof detectStabilization>[0], runs: number): number[] {
  detectStabilization(input); // JIT warm-up, as the daemon's worker is warm after its first epoch
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    detectStabilization(input);
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * Two shapes of a 24 h run: 100 epochs (decided at the fixed epoch 10, so only its first 10 epochs are analysed) and
 * 8 long epochs (undecided: the whole 86,400-point grid, coarsened to maxPoints), at the default and a smaller maxPoints.
 */
export async function benchStabilization(opts: { quick: boolean }): Promise<Figure[]> {
  const cfg = loadConfig({ env: {} });
  const seconds = opts.quick ? 3600 : 86_400;
  const runs = opts.quick ? 2 : 5;
  const out: Figure[] = [];
  // The daemon passes stabilization.maxPoints (config); the detector's own default is shown for comparison.
  const daemonMax = cfg.stabilization.maxPoints ?? DEFAULT_MAX_POINTS;
  const cases: Array<{ epochs: number; maxPoints: number }> = [
    { epochs: 100, maxPoints: daemonMax },
    { epochs: 8, maxPoints: daemonMax },
    { epochs: 8, maxPoints: DEFAULT_MAX_POINTS },
  ];
  for (const c of cases) {
    const run = synthRun(seconds, c.epochs);
    // The synthetic run is sampled at 1 Hz: its series' spacing (the daemon uses the run's own sampling interval).
    const input = { ...run, config: { ...cfg.stabilization, gridMs: 1000 }, maxPoints: c.maxPoints };
    const times = timeDetect(input, runs);
    const analysed = c.epochs >= cfg.stabilization.fixedEpoch ? Math.round((seconds * cfg.stabilization.fixedEpoch) / c.epochs) : seconds;
    out.push(figure(`stabilization/points=${seconds}/epochs=${c.epochs}/maxPoints=${c.maxPoints}`, 'FLUSS + detector update',
      { points: seconds, epochs: c.epochs, maxPoints: c.maxPoints, analysed: Math.min(analysed, seconds) }, 'ms', times,
      c.maxPoints === daemonMax ? { op: '<=', value: 50 } : null));
  }
  return out;
}
