import type { Logger } from 'pino';
import { ESTIMATORS, projectionJson, type EpochStat } from '../analysis/estimators/index.js';
import { decisionHorizonEpochs, detectStabilization, type Stabilization, type StabilizationInput } from '../analysis/stabilization.js';
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
  private readonly grids = new Map<string, PowerSeriesCache>();
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
      const epochEnds = rows.filter((e) => e.ended_at !== null).map((e) => e.ended_at as number);
      // The detector never looks past its decision horizon (its decision is final there): read no further.
      const to = Math.min(run.ended_at ?? this.clock.now(), epochEnds[decisionHorizonEpochs(st) - 1] ?? Infinity);
      let cache = this.grids.get(run.id);
      if (!cache) this.grids.set(run.id, (cache = new PowerSeriesCache()));
      const grid = cache.update(this.set.reader, run, this.set.runs.devices(run.rid).map((d) => d.id), to, this.cfg);
      const input = { ...grid, epochEnds, config: { ...st, gridMs: cache.coarseMs ?? seriesStepMs(this.cfg, run) }, maxPoints: st.maxPoints };
      // A short series costs less than starting a worker thread: analyse it here.
      stabilization = grid.t.length === 0 ? null : grid.t.length <= SMALL_GRID ? detectStabilization(input) : await this.detect(input);
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
