import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { GpuSample, SamplerHealth } from '../samplers/types.js';
import type { SampleStore } from '../store/samples.js';

/** What the daemon needs of the GPU stream (src/samplers/nvidia-smi.ts) — injected so tests can swap it. */
export interface GpuStream {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): SamplerHealth;
}
export type GpuStreamFactory = (handlers: {
  onSamples(samples: GpuSample[]): void;
  onHealth(h: SamplerHealth): void;
  onGap(g: { from: number; to: number; reason: string }): void;
}) => GpuStream;

export interface TreeSampler {
  sample(): Promise<{ t: number; pids: number[]; rssBytes: number; cpuPct: number }>;
}

export interface HostReaders {
  memory(): Promise<{ totalBytes: number; usedBytes: number } | null>;
  cpuEnergyJ(): number | null;
}

interface Tracked {
  rid: number;
  sampler: TreeSampler | null;
  pids: number[];
  /** Consecutive samples that found none of the run's processes alive. */
  goneTicks: number;
}



/**
 * Runs the samplers while at least one run is active (the GPU stream lingers briefly after the last one), keeps one
 * process tick in flight at a time, and flushes queued rows to the store on a timer.
 */
export class SamplingService {
  private stream: GpuStream | null = null;
  private readonly tracked = new Map<string, Tracked>();
  private readonly lastGpuAt = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private tick: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private linger: NodeJS.Timeout | null = null;
  private tickBusy = false;
  private tickAgain = false;
  gpuHealth: SamplerHealth = { name: 'nvidia-smi', state: 'idle', lastSampleAt: null, restarts: 0, message: null };
  samplesReceived = 0;

  constructor(
    private readonly cfg: Config,
    private readonly log: Logger,
    private readonly store: SampleStore,
    private readonly gpuFactory: GpuStreamFactory,
    private readonly treeFactory: (pid: number) => TreeSampler,
    private readonly host: HostReaders,
    private readonly onGpuGap: (g: { from: number; to: number; reason: string }) => void,
    private readonly onGpuSamples: (s: GpuSample[]) => void = () => {},
    /** The run's command has been gone for a while and nobody finished the run: its client died. */
    private readonly onOrphan: (runId: string) => void = () => {},
  ) {
    this.flushTimer = setInterval(() => this.safeFlush(), cfg.flushMs);
    this.flushTimer.unref();
  }

  /** Last time a sample of this GPU arrived (nvidia-smi's timestamp). */
  lastSampleAt(uuid: string): number | undefined {
    return this.lastGpuAt.get(uuid);
  }

  pidsOf(runId: string): number[] {
    return this.tracked.get(runId)?.pids ?? [];
  }

  /**
   * Starts the GPU stream if needed and waits (bounded) for its first sample, so that a run registered next is
   * covered from its first moment; immediate when the stream already runs or nvidia-smi is unavailable.
   */
  async warmUp(boundMs: number): Promise<void> {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    const fresh = this.stream === null;
    this.ensureStream();
    if (!fresh && this.lastGpuAt.size > 0) return;
    const since = Date.now();
    await this.until(() => this.gpuHealth.state === 'unavailable' || this.gpuHealth.state === 'failed' ||
      [...this.lastGpuAt.values()].some((t) => t >= since - this.cfg.sampleMs), boundMs);
  }

  track(runId: string, rid: number, pid: number | null): void {
    this.tracked.set(runId, { rid, sampler: null, pids: [], goneTicks: 0 });
    if (pid !== null) this.attach(runId, pid);
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    this.ensureStream();
    if (!this.tick) {
      this.tick = setInterval(() => void this.processTick(), this.cfg.processSampleMs);
      this.tick.unref();
      void this.processTick();
    }
  }

  /** The run's command is known: sample its process tree from now on. */
  attach(runId: string, pid: number): void {
    const tr = this.tracked.get(runId);
    if (!tr) return;
    tr.sampler = this.treeFactory(pid);
    tr.pids = [pid];
    void this.processTick(true); // the first reading at once, not one interval later
  }

  untrack(runId: string): void {
    this.tracked.delete(runId);
    if (this.tracked.size > 0) return;
    if (this.tick) clearInterval(this.tick);
    this.tick = null;
    this.linger = setTimeout(() => void this.stopStream(), this.cfg.samplerLingerMs);
    this.linger.unref();
  }

  private ensureStream(): void {
    if (this.stream) return;
    this.stream = this.gpuFactory({
      onSamples: (samples) => {
        this.samplesReceived += samples.length;
        this.store.addGpu(samples);
        for (const s of samples) this.lastGpuAt.set(s.uuid, Math.max(s.t, this.lastGpuAt.get(s.uuid) ?? 0));
        this.onGpuSamples(samples);
        for (const w of [...this.waiters]) w();
      },
      onHealth: (h) => {
        if (h.state !== this.gpuHealth.state) this.log.info({ state: h.state, message: h.message }, 'gpu sampler');
        this.gpuHealth = h;
        for (const w of [...this.waiters]) w();
      },
      onGap: (g) => this.onGpuGap(g),
    });
    this.stream.start().catch((err: unknown) => this.log.error({ err }, 'gpu stream failed to start'));
  }

  private async stopStream(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    if (s) await s.stop().catch((err: unknown) => this.log.warn({ err }, 'gpu stream stop failed'));
    this.gpuHealth = { ...this.gpuHealth, state: 'idle' };
  }

  /**
   * One process/host tick; a slow periodic tick is skipped rather than stacked. An urgent one (a command just
   * attached) asked for during a tick runs right after it, so its first reading is never lost.
   */
  private async processTick(urgent = false): Promise<void> {
    if (this.tickBusy) {
      if (urgent) this.tickAgain = true;
      return;
    }
    this.tickBusy = true;
    try {
      const t = Date.now();
      for (const [runId, tr] of this.tracked) {
        if (!tr.sampler) continue;
        try {
          const s = await tr.sampler.sample();
          tr.pids = s.pids;
          tr.goneTicks = s.pids.length === 0 ? tr.goneTicks + 1 : 0;
          if (tr.goneTicks === Math.ceil(this.cfg.orphanAfterMs / this.cfg.processSampleMs)) this.onOrphan(runId);
          if (s.pids.length > 0) this.store.addProc({ rid: tr.rid, t: s.t, rssBytes: s.rssBytes, cpuPct: s.cpuPct, nProcs: s.pids.length });
        } catch (err) {
          this.log.warn({ err }, 'process sample failed');
        }
      }
      const mem = await this.host.memory().catch(() => null);
      this.store.addHost({
        t,
        memUsedBytes: mem?.usedBytes ?? null,
        memTotalBytes: mem?.totalBytes ?? null,
        cpuEnergyJ: this.host.cpuEnergyJ(),
      });
    } finally {
      this.tickBusy = false;
      if (this.tickAgain) {
        this.tickAgain = false;
        void this.processTick();
      }
    }
  }

  safeFlush(): void {
    try {
      this.store.flush();
    } catch (err) {
      this.log.error({ err }, 'flush failed; rows stay queued');
    }
  }

  /** Waits until each GPU has a sample at or after t, the GPU stream is not producing, or the bound passes. */
  waitForGpu(uuids: string[], t: number, boundMs: number): Promise<void> {
    return this.until(
      () => this.gpuHealth.state !== 'running' || uuids.every((u) => (this.lastGpuAt.get(u) ?? 0) >= t),
      boundMs,
    );
  }

  private until(done: () => boolean, boundMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const check = (): void => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, boundMs);
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    if (this.linger) clearTimeout(this.linger);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.tick = this.linger = this.flushTimer = null;
    this.tracked.clear();
    await this.stopStream();
    this.safeFlush();
  }
}
