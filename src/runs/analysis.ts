import type { Logger } from 'pino';
import { ESTIMATORS, projectionJson, type EpochStat } from '../analysis/estimators/index.js';
import { MAX_HOLE } from '../analysis/grid.js';
import { detectStabilization, type Stabilization, type StabilizationInput } from '../analysis/stabilization.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../platform/clock.js';
import type { RunListener } from './lifecycle.js';
import type { RunSet } from './open.js';
import type { EpochRow, EpochStore } from '../store/epochs.js';
import type { RunAnalysis } from '../store/run-data.js';
import type { RunRow, RunStore } from '../store/runs.js';
import type { SampleReader } from '../store/sample-queries.js';

export type { RunAnalysis } from '../store/run-data.js';

/**
 * The run's power (GPU sum + RAM) on the detector's grid, aggregated in SQL: per device and bin the mean power,
 * summed over devices (NaN where a device has no reading); RAM is carried forward between its 1 s readings. Only
 * bins that hold a reading are kept (a hole longer than MAX_HOLE bins is kept as MAX_HOLE NaN points), so memory
 * follows the samples, not the wall time a run claims to span. The bins are kept between updates and only the
 * stretch since the last one is queried (its last few bins again), so a live update costs O(new samples).
 */
export class PowerGridCache {
  private bin = new Float64Array(0);
  private gpu = new Float64Array(0);
  private seen = new Uint16Array(0);
  private ram = new Float64Array(0);
  private n = 0;
  private key = '';

  update(reader: SampleReader, run: RunRow, devIds: number[], to: number, cfg: Config): { t: Float64Array; powerW: Float64Array } {
    const g = cfg.stabilization.gridMs;
    const from = run.started_at;
    const key = `${run.rid}:${g}:${devIds.join(',')}`;
    // The first bin to (re)compute: the cached run's last few seconds (samples reach the store up to ~2 s late), or
    // all of them when devices or settings changed.
    const redo = Math.ceil(Math.max(5000, 3 * cfg.processSampleMs) / g) + 1;
    const lastBin = this.n > 0 ? (this.bin[this.n - 1] as number) : 0;
    const first = key === this.key && this.n > 0 ? Math.max(0, lastBin - redo) : 0;
    if (key !== this.key) this.n = 0;
    this.key = key;
    while (this.n > 0 && (this.bin[this.n - 1] as number) >= first) this.n--;
    const since = from + first * g;
    const found = new Map<number, { gpu: number; seen: number; ram: number }>();
    const at = (b: number): { gpu: number; seen: number; ram: number } => {
      let e = found.get(b);
      if (!e) found.set(b, (e = { gpu: 0, seen: 0, ram: Number.NaN }));
      return e;
    };
    for (const [b, , p] of reader.gpuBins(devIds, from, g, since, to)) {
      if (b < first) continue;
      const e = at(b);
      e.gpu += p;
      e.seen++;
    }
    for (const [b, r] of reader.rssBins(run.rid, from, g, since, to)) if (b >= first) at(b).ram = (r / 1048576) * (cfg.ramWattsPerGB / 1000);
    const bins = [...found.keys()].sort((a, b) => a - b);
    this.grow(this.n + bins.length);
    for (const b of bins) {
      const e = found.get(b) as { gpu: number; seen: number; ram: number };
      [this.bin[this.n], this.gpu[this.n], this.seen[this.n], this.ram[this.n]] = [b, e.gpu, e.seen, e.ram];
      this.n++;
    }
    return this.series(from, g, devIds.length);
  }

  /** The kept bins as the detector's series: holes of ≤ 2 bins interpolated, longer ones NaN (at most MAX_HOLE). */
  private series(from: number, g: number, nDev: number): { t: Float64Array; powerW: Float64Array } {
    let size = 0;
    for (let i = 0; i < this.n; i++) size += 1 + (i > 0 ? Math.min(MAX_HOLE, (this.bin[i] as number) - (this.bin[i - 1] as number) - 1) : 0);
    const t = new Float64Array(size);
    const powerW = new Float64Array(size);
    let lastRam = 0;
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      const b = this.bin[i] as number;
      const hole = i > 0 ? Math.min(MAX_HOLE, b - (this.bin[i - 1] as number) - 1) : 0;
      for (let h = hole; h >= 1; h--) {
        t[k] = from + (b - h) * g + g / 2;
        powerW[k++] = Number.NaN;
      }
      const r = this.ram[i] as number;
      if (!Number.isNaN(r)) lastRam = r;
      const complete = nDev === 0 || this.seen[i] === nDev;
      t[k] = from + b * g + g / 2;
      powerW[k++] = complete && (nDev > 0 || !Number.isNaN(r)) ? (this.gpu[i] as number) + lastRam : Number.NaN;
    }
    fillShortHoles(powerW, 2);
    return { t, powerW };
  }

  private grow(n: number): void {
    if (n <= this.bin.length) return;
    const size = Math.max(n, this.bin.length * 2, 1024);
    const copy = <T extends Float64Array | Uint16Array>(a: T, make: (k: number) => T): T => {
      const b = make(size);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.bin = copy(this.bin, (k) => new Float64Array(k));
    this.gpu = copy(this.gpu, (k) => new Float64Array(k));
    this.seen = copy(this.seen, (k) => new Uint16Array(k));
    this.ram = copy(this.ram, (k) => new Float64Array(k));
  }
}

/** The power grid of a run in one go (see PowerGridCache). */
export function powerGrid(reader: SampleReader, run: RunRow, devIds: number[], to: number, cfg: Config): { t: Float64Array; powerW: Float64Array } {
  return new PowerGridCache().update(reader, run, devIds, to, cfg);
}

/** Sampling jitter leaves an occasional empty bin; a hole of ≤ maxBins between readings is interpolated for the
 * detector only (energy never uses the grid), since one NaN blanks m windows of the matrix profile. */
export function fillShortHoles(v: Float64Array, maxBins: number): void {
  let i = 0;
  while (i < v.length) {
    if (!Number.isNaN(v[i] as number)) {
      i++;
      continue;
    }
    let j = i;
    while (j < v.length && Number.isNaN(v[j] as number)) j++;
    if (i > 0 && j < v.length && j - i <= maxBins) {
      const a = v[i - 1] as number;
      const b = v[j] as number;
      for (let k = i; k < j; k++) v[k] = a + ((b - a) * (k - i + 1)) / (j - i + 1);
    }
    i = j;
  }
}

/** Grid points below which FLUSS runs inline (two matrix profiles of 2,000 points take a few ms). */
const SMALL_GRID = 2000;

const stat = (e: EpochRow): EpochStat | null =>
  e.ended_at === null || e.energy_j === null || e.ended_at <= e.started_at
    ? null
    : { epoch: e.epoch, durationS: (e.ended_at - e.started_at) / 1000, energyJ: e.energy_j, avgPowerW: e.avg_power_w ?? 0 };

/**
 * Stabilization and projection of a run, recomputed after each finalized epoch off the sampling path (FLUSS runs in
 * a worker thread; once the stabilizing epoch is settled it is not recomputed), cached on the run row.
 */
export class AnalysisService {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly grids = new Map<string, PowerGridCache>();
  private readonly again = new Set<string>();

  constructor(
    private readonly cfg: Config,
    private readonly set: Pick<RunSet, 'runs' | 'epochs' | 'reader'>,
    private readonly log: Logger,
    private readonly emit: RunListener,
    private readonly detect: (input: StabilizationInput) => Promise<Stabilization | null>,
    private readonly clock: Clock,
  ) {}

  /** Schedules an update; updates of one run never overlap (a request during one runs once more after it). */
  request(runId: string): Promise<void> {
    const running = this.inflight.get(runId);
    if (running) {
      this.again.add(runId);
      return running;
    }
    const p = (async () => {
      do {
        this.again.delete(runId);
        const run = this.set.runs.byId(runId);
        if (run) await this.analyze(run).catch((err: unknown) => this.log.warn({ err, run: runId }, 'analysis failed'));
      } while (this.again.has(runId));
    })().finally(() => this.inflight.delete(runId));
    this.inflight.set(runId, p);
    return p;
  }

  async analyze(run: RunRow): Promise<RunAnalysis> {
    const st = this.cfg.stabilization;
    const finished = run.status !== 'running';
    const rows = this.set.epochs.list(run.rid);
    const closed = rows.map(stat).filter((s): s is EpochStat => s !== null);
    const prev: RunAnalysis = run.analysis ?? { stabilization: null, projection: null };
    let stabilization = prev.stabilization;
    // Until epoch `fixedEpoch` has closed a confident verdict can still move; from then on it is final.
    const final = stabilization?.confident === true && prev.decidedAtEpochs !== undefined && prev.decidedAtEpochs >= st.fixedEpoch;
    const closedCount = rows.filter((e) => e.ended_at !== null).length;
    if (!final) {
      const to = run.ended_at ?? this.clock.now();
      let cache = this.grids.get(run.id);
      if (!cache) this.grids.set(run.id, (cache = new PowerGridCache()));
      const grid = cache.update(this.set.reader, run, this.set.runs.devices(run.rid).map((d) => d.id), to, this.cfg);
      const epochEnds = rows.filter((e) => e.ended_at !== null).map((e) => e.ended_at as number);
      const input = { ...grid, epochEnds, config: st, maxPoints: st.maxPoints };
      // A short series costs less than starting a worker thread: analyse it here.
      stabilization = grid.t.length === 0 ? null : grid.t.length <= SMALL_GRID ? detectStabilization(input) : await this.detect(input);
    }
    const s = stabilization?.epoch ?? null;
    // The projection made when the window closed: only epochs up to its end are known to the estimators.
    const windowEnd = s === null ? null : s + st.windowEpochs;
    const known = windowEnd !== null && closed.length >= windowEnd ? closed.filter((e) => e.epoch <= windowEnd) : closed;
    const lastKnown = rows.find((e) => e.epoch === known[known.length - 1]?.epoch);
    const expected = finished ? closed.length || null : run.expected_epochs;
    const input = {
      epochs: known,
      stableFromEpoch: s,
      windowEpochs: st.windowEpochs,
      expectedEpochs: expected,
      elapsedS: lastKnown?.ended_at ? (lastKnown.ended_at - run.started_at) / 1000 : 0,
    };
    const [power, epochEnergy] = ESTIMATORS.map((e) => e.estimate(input));
    const projection = projectionJson(power ?? null, epochEnergy ?? null, s, st.windowEpochs);
    const result: RunAnalysis = { stabilization, projection, decidedAtEpochs: final ? prev.decidedAtEpochs : closedCount };
    if (finished || (stabilization?.confident && closedCount >= st.fixedEpoch)) this.grids.delete(run.id);
    this.set.runs.update(run.rid, { analysis: result });
    if (JSON.stringify(prev.stabilization) !== JSON.stringify(stabilization)) this.emit(run, { kind: 'stabilization', data: { stabilization } });
    if (projection) this.emit(run, { kind: 'projection', data: { projection } });
    return result;
  }
}

/** One analysis outside the daemon (imports, `profiler evaluate`): FLUSS runs in this thread. */
export function analyzeOnce(set: RunSet, runId: string, log: Logger): Promise<RunAnalysis | null> {
  const svc = new AnalysisService(set.cfg, set, log, () => {}, async (i) => detectStabilization(i), set.clock);
  const run = set.runs.byId(runId);
  return run ? svc.analyze(run) : Promise.resolve(null);
}
