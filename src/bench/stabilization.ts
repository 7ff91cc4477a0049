// The detector update after each epoch (FLUSS + confidence rule) on 24 h runs: live (the daemon's kept streaming
// profile, 864k ticks) and in one go (imports and evaluate, a 1 s grid coarsened to maxPoints).
import { AppendGrid, countAtOrBefore } from '../analysis/grid.js';
import { detectStabilization, DEFAULT_MAX_POINTS, type ProfileSource } from '../analysis/stabilization.js';
import { gpuPowerSeries } from './matrix-profile-incremental.js';
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
    // The one-go path: imports, `profiler evaluate`, a configured stabilization.gridMs (live runs use benchLive).
    out.push(figure(`stabilization/one-go/points=${seconds}/epochs=${c.epochs}/maxPoints=${c.maxPoints}`, 'FLUSS, series in one go',
      { points: seconds, epochs: c.epochs, maxPoints: c.maxPoints, analysed: Math.min(analysed, seconds) }, 'ms', times, null,
      'whole series gridded and profiled per call (imports, evaluate, a configured gridMs); a live run\'s update is stabilization/live'));
  }
  out.push(benchLive(cfg, opts.quick ? 86_400 : 864_000, runs));
  return out;
}

/**
 * The update a live run's epoch end costs in the daemon's worker once its streaming profile is kept: FLUSS on the
 * kept profile of the whole series (no coarsening) and of the series without its last epoch, plus the confidence
 * rule, on 24 h of 8 GPUs at 100 ms (864,000 ticks) in 8 epochs (undecided: everything is read). Growing the
 * profile itself is the matrix-profile-incremental figure (1 s of samples per append).
 */
function benchLive(cfg: ReturnType<typeof loadConfig>, n: number, runs: number): Figure {
  const t0 = Date.UTC(2026, 0, 1);
  const w = gpuPowerSeries(n, 5);
  const t = new Float64Array(n);
  const grid = new AppendGrid(100);
  for (let i = 0; i < n; i++) {
    t[i] = t0 + i * 100 + (i % 7); // a few ms of jitter, as nvidia-smi's ticks
    grid.push(t[i]!, w[i]!);
  }
  const epochs = 8;
  const epochEnds = Array.from({ length: epochs }, (_, e) => t0 + Math.round(((e + 1) * n * 100) / epochs));
  // FLUSS's cost does not depend on which neighbour each window has (one pass over the indices): a profile shaped
  // like the series' own (the neighbour an epoch-period away) stands in for one that would take hours to grow here.
  const period = 36_000;
  const profileOf = (slots: number): Int32Array => {
    const l = slots - cfg.stabilization.m + 1;
    const idx = new Int32Array(l);
    for (let i = 0; i < l; i++) idx[i] = i + period < l ? i + period : i >= period ? i - period : (i + l / 2) % l | 0;
    return idx;
  };
  const cache = new Map<number, Int32Array>();
  const memos = new Map<number, Map<string, unknown>>();
  const profiles: ProfileSource = {
    at(until) {
      const slots = countAtOrBefore(grid.times, until, grid.n);
      if (!cache.has(slots)) cache.set(slots, profileOf(slots));
      // A copy per call, as the live state hands out its current profile (IncrementalMatrixProfile.profile()). The
      // prefix without the last epoch was the current one at the previous epoch end: its location is remembered
      // there; the current prefix is new at every update (no memo: it is located each time here).
      if (slots < grid.n && !memos.has(slots)) memos.set(slots, new Map());
      const memo = memos.get(slots);
      return { grid: grid.grid(slots), indices: () => (cache.get(slots) as Int32Array).slice(), ...(memo ? { memo } : {}) };
    },
  };
  const input = { t, powerW: w, epochEnds, config: { ...cfg.stabilization, gridMs: 100 }, profiles };
  const times = timeDetect(input, runs);
  return figure(`stabilization/live/points=${n}/epochs=${epochs}`, 'FLUSS + detector update', { points: n, epochs, analysed: n, gpus: 8, sampleMs: 100 },
    'ms', times, n === 864_000 ? { op: '<=', value: 50 } : null,
    'per epoch end on the kept streaming profile (whole series, nothing coarsened); the profile\'s growth is matrix-profile-incremental');
}
