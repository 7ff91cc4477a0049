import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { conflict, invalid } from '../errors.js';
import type { EpochStore } from '../store/epochs.js';
import type { RunRow, RunStatus, RunStore } from '../store/runs.js';
import type { SampleStore } from '../store/samples.js';
import type { Scheduler, TimerHandle } from '../platform/clock.js';
import type { EnergyService } from '../runs/energy.js';
import type { EpochMark, FinishRequest, NewRun, RunEvent } from '../runs/lifecycle.js';
import { nodeName } from '../runs/job-energy.js';

export interface RecorderHooks {
  /** A run became active: start sampling its devices and process tree. */
  onRunStarted(run: RunRow, req: Pick<NewRun, 'cudaVisibleDevices' | 'gpus' | 'pid'>): void;
  onAttach(run: RunRow, pid: number): void;
  /** A run ended: stop sampling it (after its final samples arrived). */
  onRunEnded(run: RunRow): void;
  /** Resolves when every device of the run has a sample at or after t (bounded wait). */
  waitForSamples(run: RunRow, t: number): Promise<void>;
  emit(run: RunRow, event: RunEvent): void;
  /** The run's final energy is stored: final stabilization and projection. */
  afterSeal(run: RunRow): Promise<void>;
}

const UNWATCHED_REASON = 'it has no pid and no request came from its client for orphanAfterMs';

/** A pid whose tree is the whole machine (init, or the daemon and what it spawns): sampled as the run, never orphaned. */
function checkPid(pid: number | null): void {
  if (pid === null) return;
  if (pid <= 1) throw invalid(`pid: ${pid} is not a command's pid (its process tree would be the whole machine)`);
  if (pid === process.pid) throw invalid(`pid: ${pid} is the daemon's own pid, not the run's command`);
}

/** Run and epoch lifecycle: the rules of when epochs start, end and get their energy. */
export class Recorder {
  private readonly timers = new Set<TimerHandle>();
  /** Runs without a pid: when each expires unless its client sends a request (or a pid) first. */
  private readonly unwatched = new Map<string, TimerHandle>();
  /** Runs sealed while sample writes were held (a full disk): sealed again once the held samples are written. */
  private readonly sealedHeld = new Set<string>();

  constructor(
    private readonly cfg: Config,
    private readonly log: Logger,
    private readonly runs: RunStore,
    private readonly epochs: EpochStore,
    private readonly samples: SampleStore,
    private readonly energy: EnergyService,
    private readonly hooks: RecorderHooks,
    private readonly now: () => number,
    private readonly scheduler: Scheduler,
  ) {}

  start(req: NewRun): RunRow {
    if (req.id !== undefined && this.runs.byId(req.id)) throw conflict(`run ${req.id} exists already`);
    checkPid(req.pid);
    // Samples taken before the run (the warm-up wait, or a lingering stream) are its idle baseline, kept apart; it is
    // stored with the row in one INSERT, so a failed write (disk full) leaves no half-created run behind.
    this.samples.flush();
    const baseline = this.runs.idleBaseline(req.startedAt - this.cfg.baselineMs, req.startedAt);
    const budget = req.budget ? { ...req.budget, exceeded: false, at: null, reason: null } : null;
    const run = this.runs.create({ ...req, clientPid: req.pid, sampleMs: this.cfg.sampleMs, baseline, host: nodeName(this.cfg), budget }, req.id);
    this.log.info({ run: run.id, command: req.command }, 'run started');
    this.hooks.onRunStarted(run, req);
    if (req.pid === null) this.watchRequests(run.id);
    return run;
  }

  /** The run's command started with this pid: its process tree is sampled from now on. */
  attach(run: RunRow, pid: number): void {
    if (run.status !== 'running') throw conflict(`run ${run.id} is ${run.status}`);
    checkPid(pid);
    this.unwatch(run.id);
    this.runs.update(run.rid, { client_pid: pid });
    this.hooks.onAttach(run, pid);
  }

  mark(run: RunRow, m: EpochMark): { epoch: number } {
    if (run.status !== 'running') throw conflict(`run ${run.id} is ${run.status}: no more epochs`);
    if (m.at < run.started_at) throw invalid('at: the epoch mark is before the run started');
    if (m.at > this.now() + 5000) throw invalid('at: the epoch mark is in the future');
    const last = this.epochs.last(run.rid);
    if (last && m.at < (last.ended_at ?? last.started_at)) throw invalid('at: epoch marks must not go back in time');
    if (this.unwatched.has(run.id)) this.watchRequests(run.id);
    if (m.total !== null && run.expected_epochs === null) this.runs.update(run.rid, { expected_epochs: m.total });
    const open = last && last.ended_at === null ? last : undefined;
    if (m.event === 'start') {
      if (open) this.closeEpoch(run, open.epoch, m.at);
      const e = this.epochs.open(run.rid, m.at, m.epoch, m.source);
      this.hooks.emit(run, { kind: 'epoch', data: { epoch: e.epoch, event: 'start', at: m.at } });
      return { epoch: e.epoch };
    }
    if (open) {
      this.closeEpoch(run, open.epoch, m.at);
      return { epoch: open.epoch };
    }
    // An end with no open epoch (Hugging Face logs only ends): the epoch ran since the previous one ended.
    const e = this.epochs.open(run.rid, last?.ended_at ?? run.started_at, m.epoch, m.source);
    this.closeEpoch(run, e.epoch, m.at);
    return { epoch: e.epoch };
  }

  private closeEpoch(run: RunRow, epoch: number, at: number): void {
    this.epochs.close(run.rid, epoch, at);
    this.hooks.emit(run, { kind: 'epoch', data: { epoch, event: 'end', at } });
    // Samples stamped before `at` may still be on their way: finalize once they are surely stored.
    const delay = 2 * Math.max(this.cfg.sampleMs, this.cfg.processSampleMs) + this.cfg.flushMs;
    const timer = this.scheduler.setTimeout(() => {
      this.timers.delete(timer);
      this.finalizeEpoch(run.id, epoch);
    }, delay);
    this.timers.add(timer);
  }

  private finalizeEpoch(runId: string, epoch: number): void {
    try {
      const run = this.runs.byId(runId);
      const e = run && this.epochs.get(run.rid, epoch);
      if (!run || !e) return;
      this.samples.flush();
      this.energy.finalizeEpoch(run, e);
      if (run.status === 'running' && e.ended_at !== null) this.energy.advancePrefix(run, e.ended_at);
      const done = this.epochs.get(run.rid, epoch);
      this.hooks.emit(run, { kind: 'epoch', data: { epoch, event: 'finalized', energyJ: done?.energy_j ?? null } });
    } catch (err) {
      this.log.error({ err, run: runId, epoch }, 'epoch finalization failed');
    }
  }

  /**
   * The client reports how the command ended. Its report also wins over a restarted daemon's guess: a run marked
   * interrupted (its daemon died meanwhile) takes the client's exit code and end time, once.
   */
  async finish(run: RunRow, f: FinishRequest): Promise<RunRow> {
    const corrects = run.status === 'interrupted' && this.runs.events(run.rid, 'outcome_reported').length === 0;
    if (run.status !== 'running' && !corrects) throw conflict(`run ${run.id} is already ${run.status}`);
    if (f.endedAt < run.started_at) throw invalid('endedAt: before the run started');
    this.unwatch(run.id);
    // `profiler run` could not start the command (127/126 before any pid was attached): nothing ran, so no device's
    // power belongs to it (it would otherwise be charged the idle GPUs' energy of those milliseconds).
    if (f.status === 'failed' && run.client_pid === null && f.signal === null && (f.exitCode === 127 || f.exitCode === 126)) {
      this.runs.setDevices(run.rid, [], 'none');
    }
    const status: RunStatus = f.status ?? (f.signal === null && (f.exitCode ?? 0) === 0 ? 'succeeded' : 'failed');
    const last = this.epochs.last(run.rid);
    if (corrects) {
      this.runs.addEvent(run.rid, 'outcome_reported', { replaced: 'interrupted', guessedEnd: run.ended_at }, f.endedAt);
      // The epoch the daemon closed at its guessed end runs to the reported end.
      if (last && last.ended_at !== null && last.ended_at === run.ended_at) this.epochs.setEnd(run.rid, last.epoch, Math.max(f.endedAt, last.started_at));
    } else if (last && last.ended_at === null) {
      this.epochs.close(run.rid, last.epoch, Math.max(f.endedAt, last.started_at));
      this.hooks.emit(run, { kind: 'epoch', data: { epoch: last.epoch, event: 'end', at: Math.max(f.endedAt, last.started_at) } });
    }
    this.runs.update(run.rid, { status, exit_code: f.exitCode, signal: f.signal, ended_at: f.endedAt });
    const ended = this.runs.byId(run.id) as RunRow;
    await this.hooks.waitForSamples(ended, f.endedAt);
    this.samples.flush();
    this.hooks.onRunEnded(ended);
    const sealed = this.seal(ended, f.endedAt, false);
    // A live view gets the last epoch's energy and the final stabilization and projection before the status that
    // ends its stream.
    const final = this.epochs.last(run.rid);
    if (final?.ended_at != null) this.hooks.emit(sealed, { kind: 'epoch', data: { epoch: final.epoch, event: 'finalized', energyJ: final.energy_j } });
    await this.hooks.afterSeal(sealed);
    const done = this.runs.byId(run.id) as RunRow;
    this.hooks.emit(done, { kind: 'status', data: { status: done.status, energy: done.energy as NonNullable<RunRow['energy']> } });
    return done;
  }

  /** Final energy of an ended run, computed once from raw samples and cached on the run; `announce`: the status event. */
  seal(run: RunRow, endedAt: number, announce = true): RunRow {
    const { energy, rewritten } = this.energy.compute(run, endedAt, { writeEpochs: true });
    this.runs.update(run.rid, { energy });
    if (this.samples.held) this.sealedHeld.add(run.id);
    else this.sealedHeld.delete(run.id);
    if (rewritten.length > 0) this.runs.addEvent(run.rid, 'epochs_recomputed', { epochs: rewritten, reason: 'late samples' });
    for (const g of energy.gaps) this.runs.addEvent(run.rid, 'gap', g, g.from);
    const done = this.runs.byId(run.id) as RunRow;
    this.log.info({ run: run.id, status: done.status, totalJ: energy.totalJ }, 'run ended');
    if (announce) this.hooks.emit(done, { kind: 'status', data: { status: done.status, energy } });
    return done;
  }

  /**
   * Sample writes resumed after a full disk: the held samples are written, then every run sealed meanwhile is sealed
   * again with them (its energy, epochs and gaps). While they cannot be written yet, the runs wait for the next resume.
   */
  resealHeld(): RunRow[] {
    if (this.sealedHeld.size === 0) return [];
    this.samples.flush();
    if (this.samples.held) return [];
    const out: RunRow[] = [];
    for (const id of [...this.sealedHeld]) {
      this.sealedHeld.delete(id);
      const run = this.runs.byId(id);
      if (!run || run.status === 'running' || run.ended_at === null) continue;
      try {
        out.push(this.seal(run, run.ended_at));
      } catch (err) {
        this.sealedHeld.add(id); // tried again at the next resume
        this.log.error({ err, run: id }, 'sealing a run again after the disk had room failed');
      }
    }
    return out;
  }

  /** Recomputes the energy of every closed epoch (the run's devices changed). */
  refinalize(run: RunRow): void {
    const closed = this.epochs.list(run.rid).filter((e) => e.ended_at !== null);
    const last = closed[closed.length - 1];
    if (!last || last.ended_at === null) return;
    this.samples.flush();
    this.energy.compute(run, last.ended_at, { writeEpochs: true });
    // The devices changed: the live prefix starts over (once) from the run's start.
    this.runs.update(run.rid, { energy_prefix: null });
    this.energy.advancePrefix(this.runs.byId(run.id) as RunRow, last.ended_at);
  }

  /** A run whose daemon died: its command is gone, so it ends where its data ends. */
  interrupt(run: RunRow, endedAt: number, reason = 'the daemon stopped while the run was going on'): RunRow {
    this.unwatch(run.id);
    const last = this.epochs.last(run.rid);
    if (last && last.ended_at === null) this.epochs.close(run.rid, last.epoch, Math.max(endedAt, last.started_at));
    this.runs.update(run.rid, { status: 'interrupted', ended_at: endedAt });
    this.runs.addEvent(run.rid, 'interrupted', { reason }, endedAt);
    return this.seal(this.runs.byId(run.id) as RunRow, endedAt);
  }

  /**
   * A run without a pid has no process tree to watch: only its client's requests say it lives. It ends interrupted
   * orphanAfterMs after the last one (registration, epoch mark), at that request; an attach makes it a watched run.
   */
  private watchRequests(runId: string): void {
    this.scheduler.clear(this.unwatched.get(runId));
    const lastRequestAt = this.now();
    this.unwatched.set(runId, this.scheduler.setTimeout(() => this.expire(runId, lastRequestAt), this.cfg.orphanAfterMs));
  }

  private unwatch(runId: string): void {
    this.scheduler.clear(this.unwatched.get(runId));
    this.unwatched.delete(runId);
  }

  private expire(runId: string, lastRequestAt: number): void {
    this.unwatched.delete(runId);
    try {
      const run = this.runs.byId(runId);
      if (run?.status !== 'running' || run.client_pid !== null) return;
      this.log.warn({ run: runId }, 'a run without a pid got no request from its client for orphanAfterMs: marking it interrupted');
      this.hooks.onRunEnded(run);
      this.samples.flush();
      const ended = this.interrupt(run, Math.max(lastRequestAt, run.started_at), UNWATCHED_REASON);
      this.hooks.afterSeal(ended).catch((err: unknown) => this.log.error({ err, run: runId }, 'analysis after expiry failed'));
    } catch (err) {
      this.log.error({ err, run: runId }, 'ending a run without a pid failed');
    }
  }

  close(): void {
    for (const t of [...this.timers, ...this.unwatched.values()]) this.scheduler.clear(t);
    this.timers.clear();
    this.unwatched.clear();
  }
}
