import type { Logger } from 'pino';
import { ESTIMATORS, projectionJson, type EpochStat } from '../analysis/estimators/index.js';
import { decisionHorizonEpochs, detectStabilization, type Stabilization, type StabilizationInput } from '../analysis/stabilization.js';
import type { Feed } from '../analysis/live-profile.js';
import { countAtOrBefore } from '../analysis/grid.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../platform/clock.js';
import type { RunListener } from './lifecycle.js';
import type { RunSet } from './open.js';
import type { EpochRow, EpochStore } from '../store/epochs.js';
import type { RunAnalysis } from '../store/run-data.js';
import { PowerSeriesCache, seriesStepMs } from './power-series.js';
import type { RunRow, RunStore } from '../store/runs.js';
import type { SampleReader } from '../store/sample-queries.js';

export type { RunAnalysis } from '../store/run-data.js';

/** Grid points below which FLUSS runs inline (two matrix profiles of 2,000 points take a few ms). */
const SMALL_GRID = 2000;
/** Code of a live detector's rejection when it does not hold the run's state (see StabilizationWorker). */
const LIVE_LOST = 'PROF_LIVE_LOST';

/** The detector's live side (StabilizationWorker): each run's series and streaming matrix profile, fed as recorded. */
export interface LiveDetector {
  feed(key: string, m: number, first: boolean, feed: Feed): Promise<void>;
  detectLive(key: string, input: Omit<StabilizationInput, 't' | 'powerW' | 'profiles'>): Promise<Stabilization | null>;
  drop(key: string): Promise<void>;
}

interface RunState {
  cache: PowerSeriesCache;
  /** The series' identity (run, step, devices): another one starts the live state again. */
  key: string;
  /** Time of the last tick sent to the live detector (-Infinity: none; the next feed is the series from its start). */
  sentT: number;
}

const stat = (e: EpochRow): EpochStat | null =>
  e.ended_at === null || e.energy_j === null || e.ended_at <= e.started_at
    ? null
    : { epoch: e.epoch, durationS: (e.ended_at - e.started_at) / 1000, energyJ: e.energy_j, avgPowerW: e.avg_power_w ?? 0 };

const closedEnds = (rows: EpochRow[]): number[] => rows.filter((e) => e.ended_at !== null).map((e) => e.ended_at as number);
/** End of the last epoch whose energy is computed (finalized: the samples before its end are stored). */
function finalizedEnd(rows: EpochRow[]): number {
  for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.ended_at !== null && rows[i]!.energy_j !== null) return rows[i]!.ended_at as number;
  return -Infinity;
}

/**
 * Stabilization and projection of a run, recomputed after each finalized epoch off the sampling path (FLUSS runs in
 * a worker thread; once the stabilizing epoch is settled it is not recomputed), cached on the run row.
 */
export class AnalysisService {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly state = new Map<string, RunState>();
  private readonly again = new Set<string>();

  constructor(
    private readonly cfg: Config,
    private readonly set: Pick<RunSet, 'runs' | 'epochs' | 'reader'>,
    private readonly log: Logger,
    private readonly emit: RunListener,
    private readonly detect: (input: StabilizationInput) => Promise<Stabilization | null>,
    private readonly clock: Clock,
    /** Without it (imports, evaluate, tests) each update analyses the series read so far in one go. */
    private readonly live?: LiveDetector,
  ) {}

  /** A confident verdict made at epoch fixedEpoch or later is final: nothing is read or recomputed for it again. */
  private isFinal(run: RunRow): boolean {
    const a = run.analysis;
    return a?.stabilization?.confident === true && a.decidedAtEpochs !== undefined && a.decidedAtEpochs >= this.cfg.stabilization.fixedEpoch;
  }

  /**
   * Reads each running run's new samples and hands the settled ones to the live detector, so its matrix profile
   * grows with the run instead of at epoch ends (called every few seconds by the daemon).
   */
  feedRunning(): void {
    if (!this.live) return;
    for (const run of this.set.runs.list({ status: 'running' })) {
      if (this.isFinal(run) || this.inflight.has(run.id)) continue;
      try {
        const rows = this.set.epochs.list(run.rid);
        this.readAndFeed(run, closedEnds(rows), finalizedEnd(rows));
      } catch (err) {
        this.log.warn({ err, run: run.id }, 'feeding the live detector failed');
      }
    }
  }

  /** Brings the run's series up to date (up to its decision horizon) and feeds the live detector; null: not live. */
  private readAndFeed(run: RunRow, epochEnds: number[], finalized: number): { grid: { t: Float64Array; powerW: Float64Array }; cache: PowerSeriesCache; key: string | null } {
    const st = this.cfg.stabilization;
    const devIds = this.set.runs.devices(run.rid).map((d) => d.id);
    const key = `${run.id}:${seriesStepMs(this.cfg, run)}:${devIds.join(',')}`;
    let s = this.state.get(run.id);
    if (s?.key !== key) {
      if (s && this.live) void this.live.drop(s.key).catch(() => {});
      this.state.set(run.id, (s = { cache: new PowerSeriesCache(), key, sentT: -Infinity }));
    }
    const finished = run.status !== 'running';
    // The detector never looks past its decision horizon (its decision is final there): read no further.
    const to = Math.min(run.ended_at ?? this.clock.now(), epochEnds[decisionHorizonEpochs(st) - 1] ?? Infinity);
    const grid = s.cache.update(this.set.reader, run, devIds, to, this.cfg);
    // Live only on the run's own sampling (a configured coarser grid averages, which a stream cannot keep stable).
    if (!this.live || st.gridMs !== 0 || s.cache.coarseMs !== null) return { grid, cache: s.cache, key: null };
    const n = grid.t.length;
    // A short series is analysed here in one go (a few ms, no worker thread); past SMALL_GRID ticks the live state
    // starts, with the whole series so far.
    if (n <= SMALL_GRID && s.sentT === -Infinity) return { grid, cache: s.cache, key: null };
    const lastTick = n > 0 ? (grid.t[n - 1] as number) : -Infinity;
    // Ticks of the last few seconds are read again next time (late samples); a finished run, and a running one up to
    // its last finalized epoch end (finalization waits until the samples before the end are stored), are settled.
    const margin = Math.max(5000, 3 * this.cfg.processSampleMs);
    const settled = finished ? to : Math.max(lastTick - margin - 1, Math.min(finalized, to, lastTick));
    const from = countAtOrBefore(grid.t, s.sentT);
    const end = Math.max(from, countAtOrBefore(grid.t, settled));
    const first = s.sentT === -Infinity;
    if (end > from || first) {
      const state = s;
      const feed: Feed = { t: grid.t.subarray(from, end), w: grid.powerW.subarray(from, end), epochEnds, settledThrough: settled,
        profileUntil: epochEnds[st.fixedEpoch - 1] ?? Infinity };
      // After a first feed, even an empty one, the state exists: later feeds continue it.
      state.sentT = end > from ? (grid.t[end - 1] as number) : Math.max(state.sentT, -Number.MAX_VALUE);
      this.live.feed(key, st.m, first, feed).catch((err: unknown) => {
        // The worker lost or refused the state: the next feed sends the series again from its start.
        if (this.state.get(run.id) === state) state.sentT = -Infinity;
        if ((err as { code?: unknown }).code !== LIVE_LOST) this.log.warn({ err, run: run.id }, 'live detector feed failed');
      });
    }
    return { grid, cache: s.cache, key };
  }

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
    const final = this.isFinal(run);
    const closedCount = rows.filter((e) => e.ended_at !== null).length;
    if (!final) {
      const epochEnds = closedEnds(rows);
      const { grid, cache, key } = this.readAndFeed(run, epochEnds, finalizedEnd(rows));
      const config = { ...st, gridMs: cache.coarseMs ?? seriesStepMs(this.cfg, run) };
      const input = { ...grid, epochEnds, config, maxPoints: st.maxPoints };
      const batch = (): Promise<Stabilization | null> | Stabilization | null =>
        // A short series costs less than a trip to the worker thread: analysed here.
        grid.t.length === 0 ? null : grid.t.length <= SMALL_GRID ? detectStabilization(input) : this.detect(input);
      if (key !== null && this.live) {
        // The worker's own copy of the series (the settled samples) and its streaming profile: nothing coarsened.
        stabilization = await this.live.detectLive(key, { epochEnds, config, maxPoints: st.maxPoints }).catch(async (err: unknown) => {
          const s = this.state.get(run.id);
          if (s?.key === key) s.sentT = -Infinity;
          if ((err as { code?: unknown }).code !== LIVE_LOST) throw err;
          return batch();
        });
      } else stabilization = await batch();
      // Said where it happened: a whole long run without epochs was read as bin means, not sample by sample.
      if (stabilization && cache.coarseMs !== null) stabilization = { ...stabilization, reason: `${stabilization.reason}; series read as ${cache.coarseMs} ms means` };
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
    if (finished || (stabilization?.confident && closedCount >= st.fixedEpoch)) this.forget(run.id);
    this.set.runs.update(run.rid, { analysis: result });
    if (JSON.stringify(prev.stabilization) !== JSON.stringify(stabilization)) this.emit(run, { kind: 'stabilization', data: { stabilization } });
    if (projection) this.emit(run, { kind: 'projection', data: { projection } });
    return result;
  }

  private forget(runId: string): void {
    const s = this.state.get(runId);
    this.state.delete(runId);
    if (s && this.live) void this.live.drop(s.key).catch(() => {});
  }
}

/** One analysis outside the daemon (imports, `profiler evaluate`): FLUSS runs in this thread. */
export function analyzeOnce(set: RunSet, runId: string, log: Logger): Promise<RunAnalysis | null> {
  const svc = new AnalysisService(set.cfg, set, log, () => {}, async (i) => detectStabilization(i), set.clock);
  const run = set.runs.byId(runId);
  return run ? svc.analyze(run) : Promise.resolve(null);
}
