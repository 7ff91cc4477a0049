import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { raceTimeout, systemClock, systemScheduler, type Clock, type Scheduler, type TimerHandle } from '../platform/clock.js';
import { SAMPLERS } from '../samplers/registry.js';
import { stateChangeLog } from '../samplers/health-log.js';
import type {
  GpuEnergySample, GpuGap, GpuSample, PeriodicSampler, Reading, SampleSink, Sampler, SamplerFactory, SamplerHealth, StreamSampler, TreeReading,
} from '../samplers/types.js';
import type { SampleStore } from '../store/samples.js';

/** The part of the store the loop writes to. */
export type SampleWriter = Pick<SampleStore, 'addGpu' | 'addGpuEnergy' | 'addProc' | 'addHost' | 'flush'>;

export interface SamplingOptions {
  cfg: Config;
  log: Logger;
  store: SampleWriter;
  clock?: Clock;
  scheduler?: Scheduler;
  /** The samplers to run; the registry's by default. */
  samplers?: readonly SamplerFactory[];
  /** How long a tick waits for one sampler before reporting it timed out and going on without it. */
  tickTimeoutMs?: number;
  onGpuGap?(g: GpuGap): void;
  onGpuSamples?(s: GpuSample[]): void;
  /** The run's command has been gone for a while and nobody finished the run: its client died. */
  onOrphan?(runId: string): void;
}

interface Tracked {
  rid: number;
  pid: number | null;
  pids: number[];
  /** When a reading first found none of the run's processes alive (null while some are). */
  goneSince: number | null;
  orphaned: boolean;
}

const IDLE_GPU: SamplerHealth = { name: 'nvidia-smi', state: 'idle', lastSampleAt: null, restarts: 0, message: null };

/**
 * Runs the registered samplers while at least one run is active (stream samplers linger briefly after the last one):
 * one periodic tick in flight at a time, every sampler's answer bounded by a timeout, queued rows flushed on a timer.
 */
export class SamplingService {
  private readonly samplers: Sampler[];
  private readonly periodic: PeriodicSampler[];
  private readonly streams: StreamSampler[];
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly tickTimeoutMs: number;
  private readonly tracked = new Map<string, Tracked>();
  private readonly lastGpuAt = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly inFlight = new Set<PeriodicSampler>();
  private readonly noteHealth: (h: SamplerHealth) => void;
  private tickTimer: TimerHandle | null = null;
  private flushTimer: TimerHandle | null = null;
  private linger: TimerHandle | null = null;
  private streaming = false;
  private tickBusy = false;
  private tickAgain = false;
  samplesReceived = 0;

  constructor(private readonly o: SamplingOptions) {
    this.clock = o.clock ?? systemClock;
    this.noteHealth = stateChangeLog(o.log);
    this.scheduler = o.scheduler ?? systemScheduler();
    // Long enough for a procfs scan on a loaded host; a hung sampler then costs one late tick, not the loop.
    this.tickTimeoutMs = o.tickTimeoutMs ?? Math.max(3 * o.cfg.processSampleMs, 3000);
    const ctx = { cfg: o.cfg, clock: this.clock, scheduler: this.scheduler, targets: () => this.targets(), sink: this.sink() };
    this.samplers = (o.samplers ?? SAMPLERS).map((f) => f.create({ ...ctx, log: o.log.child({ sampler: f.name }) }));
    this.periodic = this.samplers.filter((s): s is PeriodicSampler => s.kind === 'periodic');
    this.streams = this.samplers.filter((s): s is StreamSampler => s.kind === 'stream');
    for (const s of this.samplers) this.noteHealth(s.health());
    this.flushTimer = this.scheduler.setInterval(() => this.safeFlush(), o.cfg.flushMs);
  }

  /** Every sampler's health, in registry order. */
  health(): SamplerHealth[] {
    return this.samplers.map((s) => s.health());
  }

  /** The nvidia-smi stream's health (what /healthz calls gpuSampler). */
  get gpuHealth(): SamplerHealth {
    return this.samplers.find((s) => s.name === 'nvidia-smi')?.health() ?? { ...IDLE_GPU };
  }

  /** Last time a sample of this GPU arrived (nvidia-smi's timestamp). */
  lastSampleAt(uuid: string): number | undefined {
    return this.lastGpuAt.get(uuid);
  }

  pidsOf(runId: string): number[] {
    return this.tracked.get(runId)?.pids ?? [];
  }

  /**
   * Starts the stream samplers if needed and waits (bounded) for a first GPU sample, so that a run registered next is
   * covered from its first moment; immediate when the stream already runs or nvidia-smi is unavailable.
   */
  async warmUp(boundMs: number): Promise<void> {
    this.cancelLinger();
    const fresh = !this.streaming;
    this.startStreams();
    if (!fresh && this.lastGpuAt.size > 0) return;
    const since = this.clock.now();
    await this.until(() => this.gpuHealth.state === 'unavailable' || this.gpuHealth.state === 'failed' ||
      [...this.lastGpuAt.values()].some((t) => t >= since - this.o.cfg.sampleMs), boundMs);
  }

  track(runId: string, rid: number, pid: number | null): void {
    this.tracked.set(runId, { rid, pid: null, pids: [], goneSince: null, orphaned: false });
    this.cancelLinger();
    this.startStreams();
    const first = this.tickTimer === null;
    if (first) {
      for (const p of this.periodic) p.start().catch((err: unknown) => this.o.log.error({ err, sampler: p.name }, 'sampler failed to start'));
      this.tickTimer = this.scheduler.setInterval(() => void this.tick(), this.o.cfg.processSampleMs);
    }
    if (pid !== null) this.attach(runId, pid);
    else if (first) void this.tick();
  }

  /** The run's command is known: sample its process tree from now on. */
  attach(runId: string, pid: number): void {
    const tr = this.tracked.get(runId);
    if (!tr) return;
    Object.assign(tr, { pid, pids: [pid], goneSince: null, orphaned: false });
    void this.tick(true); // the first reading at once, not one interval later
  }

  untrack(runId: string): void {
    this.tracked.delete(runId);
    if (this.tracked.size > 0) return;
    this.scheduler.clear(this.tickTimer);
    this.tickTimer = null;
    for (const p of this.periodic) void this.stopOne(p);
    this.cancelLinger();
    this.linger = this.scheduler.setTimeout(() => void this.stopStreams(), this.o.cfg.samplerLingerMs);
  }

  private targets(): { runId: string; pid: number }[] {
    const out: { runId: string; pid: number }[] = [];
    for (const [runId, tr] of this.tracked) if (tr.pid !== null) out.push({ runId, pid: tr.pid });
    return out;
  }

  private sink(): SampleSink {
    return {
      gpu: (samples: GpuSample[]): void => {
        this.samplesReceived += samples.length;
        this.o.store.addGpu(samples);
        for (const s of samples) this.lastGpuAt.set(s.uuid, Math.max(s.t, this.lastGpuAt.get(s.uuid) ?? 0));
        this.o.onGpuSamples?.(samples);
        this.wake();
      },
      gap: (g: GpuGap): void => this.o.onGpuGap?.(g),
      gpuEnergy: (samples: GpuEnergySample[]): void => {
        this.o.store.addGpuEnergy(samples);
        this.wake();
      },
      health: (h: SamplerHealth): void => {
        this.noteHealth(h);
        this.wake();
      },
    };
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private cancelLinger(): void {
    this.scheduler.clear(this.linger);
    this.linger = null;
  }

  private startStreams(): void {
    if (this.streaming) return;
    this.streaming = true;
    for (const s of this.streams) s.start().catch((err: unknown) => this.o.log.error({ err, sampler: s.name }, 'sampler failed to start'));
  }

  private async stopStreams(): Promise<void> {
    this.linger = null;
    this.streaming = false;
    await Promise.all(this.streams.map((s) => this.stopOne(s)));
  }

  private async stopOne(s: Sampler): Promise<void> {
    await s.stop().catch((err: unknown) => this.o.log.warn({ err, sampler: s.name }, 'sampler stop failed'));
    this.noteHealth(s.health());
  }

  /**
   * One tick of every periodic sampler; a periodic tick asked for during one is skipped rather than stacked. An urgent
   * one (a command just attached) runs right after it, so its first reading is never lost.
   */
  private async tick(urgent = false): Promise<void> {
    if (this.tracked.size === 0) return;
    if (this.tickBusy) {
      if (urgent) this.tickAgain = true;
      return;
    }
    this.tickBusy = true;
    try {
      const t = this.clock.now();
      const readings = await Promise.all(this.periodic.map((p) => this.sampleOne(p)));
      this.record(t, readings.filter((r): r is Reading => r !== null));
      for (const p of this.periodic) this.noteHealth(p.health());
    } finally {
      this.tickBusy = false;
      if (this.tickAgain) {
        this.tickAgain = false;
        void this.tick();
      }
    }
  }

  /** One sampler's answer, or null after the timeout; a call still pending from an earlier tick is not stacked. */
  private async sampleOne(p: PeriodicSampler): Promise<Reading | null> {
    if (this.inFlight.has(p)) return null;
    this.inFlight.add(p);
    const call = p.sample().catch((err: unknown) => {
      this.o.log.warn({ err, sampler: p.name }, 'sampler threw instead of reporting its health');
      return null;
    });
    void call.finally(() => this.inFlight.delete(p));
    const r = await raceTimeout(this.scheduler, this.tickTimeoutMs, call);
    if (r !== 'timeout') return r;
    p.timedOut(this.tickTimeoutMs);
    return null;
  }

  private record(t: number, readings: Reading[]): void {
    let mem: { totalBytes: number; usedBytes: number } | null = null;
    let cpuEnergyJ: number | null = null;
    for (const r of readings) {
      if (r.kind === 'host-memory') mem = r;
      else if (r.kind === 'cpu-energy') cpuEnergyJ = r.energyJ;
      else for (const tree of r.trees) this.recordTree(tree);
    }
    this.o.store.addHost({ t, memUsedBytes: mem?.usedBytes ?? null, memTotalBytes: mem?.totalBytes ?? null, cpuEnergyJ });
  }

  private recordTree(r: TreeReading): void {
    const tr = this.tracked.get(r.runId);
    if (!tr) return;
    tr.pids = r.pids;
    if (r.pids.length > 0) {
      Object.assign(tr, { goneSince: null, orphaned: false });
      this.o.store.addProc({ rid: tr.rid, t: r.t, rssBytes: r.rssBytes, cpuPct: r.cpuPct, nProcs: r.pids.length });
      return;
    }
    tr.goneSince ??= r.t;
    if (tr.orphaned || r.t - tr.goneSince < this.o.cfg.orphanAfterMs) return;
    tr.orphaned = true;
    this.o.onOrphan?.(r.runId);
  }

  safeFlush(): void {
    try {
      this.o.store.flush();
    } catch (err) {
      this.o.log.error({ err }, 'flush failed; rows stay queued');
    }
  }

  /** Waits until each GPU has a sample (and NVML, where it reads, a counter read) at or after t, or the bound passes. */
  waitForGpu(uuids: string[], t: number, boundMs: number): Promise<void> {
    const nvml = this.samplers.find((s) => s.name === 'nvml');
    return this.until(() => (this.gpuHealth.state !== 'running' || uuids.every((u) => (this.lastGpuAt.get(u) ?? 0) >= t)) &&
      (nvml?.health().state !== 'running' || (nvml.health().lastSampleAt ?? 0) >= t), boundMs);
  }

  private until(done: () => boolean, boundMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        this.waiters.delete(check);
        this.scheduler.clear(timer);
        resolve();
      };
      const check = (): void => void (done() && finish());
      const timer = this.scheduler.setTimeout(finish, boundMs);
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    for (const t of [this.tickTimer, this.linger, this.flushTimer]) this.scheduler.clear(t);
    this.tickTimer = this.linger = this.flushTimer = null;
    this.tracked.clear();
    this.streaming = false;
    await Promise.all(this.samplers.map((s) => this.stopOne(s)));
    this.safeFlush();
  }
}
