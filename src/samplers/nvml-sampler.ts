import type { Logger } from 'pino';
import type { Clock, Scheduler, TimerHandle } from '../platform/clock.js';
import { loadNvml, NVML_NOT_SUPPORTED, NvmlError, type Nvml } from './nvml.js';
import { messageOf } from './periodic.js';
import type { GpuEnergySample, SampleSink, SamplerFactory, SamplerHealth, StreamSampler } from './types.js';

export interface NvmlSamplerOptions {
  /** Path or name of libnvidia-ml (config `nvmlLibrary`). */
  library: string;
  intervalMs: number;
  clock: Clock;
  scheduler: Scheduler;
  sink: SampleSink;
  log: Logger;
  /** Replaces loadNvml, for tests. */
  load?: (library: string) => Nvml;
}

interface Counter {
  uuid: string;
  handle: unknown;
  last: number | null;
}

/**
 * Every GPU's NVML total-energy counter (mJ since the driver loaded), read on its own timer while the GPU stream runs,
 * so reads bracket a run's start and end. `unavailable` where NVML cannot be loaded or no GPU has the counter: run
 * energy then comes from the nvidia-smi power integral, as it does without NVML.
 */
export function createNvmlSampler(o: NvmlSamplerOptions): StreamSampler {
  const health: SamplerHealth = { name: 'nvml', state: 'idle', lastSampleAt: null, restarts: 0, message: null };
  let nvml: Nvml | null = null;
  let counters: Counter[] = [];
  let timer: TimerHandle | null = null;
  let started = false;
  /** Devices left out at start (no counter), said in the health of every good read. */
  let note: string | null = null;
  const set = (patch: Partial<SamplerHealth>): void => {
    const { state, message: text } = patch; // the health's own text, not an error's
    const changed = (state !== undefined && state !== health.state) || (text !== undefined && text !== health.message);
    Object.assign(health, patch);
    if (changed) o.sink.health({ ...health });
  };

  /** The devices whose counter answers; the others are named in `skipped` (not supported, or failing). */
  const open = (n: Nvml): { counters: Counter[]; skipped: string[] } => {
    const found: Counter[] = [];
    const skipped: string[] = [];
    const count = n.deviceCount();
    for (let i = 0; i < count; i++) {
      const handle = n.handle(i);
      const uuid = n.uuid(handle);
      try {
        found.push({ uuid, handle, last: n.totalEnergyMj(handle) });
      } catch (err) {
        if (!(err instanceof NvmlError)) throw err;
        skipped.push(err.nvmlCode === NVML_NOT_SUPPORTED ? `${uuid} has no energy counter` : `${uuid}: ${err.message}`);
      }
    }
    return { counters: found, skipped };
  };

  const read = (): void => {
    if (!nvml) return;
    const t = o.clock.now();
    const batch: GpuEnergySample[] = [];
    const problems: string[] = [];
    for (const c of counters) {
      try {
        const mj = nvml.totalEnergyMj(c.handle);
        // A driver reload restarts the counter: runs spanning it fall back to the power integral (the store marks it).
        if (c.last !== null && mj < c.last) o.log.warn({ gpu: c.uuid, fromMj: c.last, toMj: mj }, 'NVML energy counter went backwards (driver reloaded?)');
        c.last = mj;
        batch.push({ t, uuid: c.uuid, energyMj: mj });
      } catch (err) {
        problems.push(`${c.uuid}: ${messageOf(err)}`);
      }
    }
    if (batch.length > 0) {
      health.lastSampleAt = t;
      o.sink.gpuEnergy(batch);
    }
    set(problems.length === 0 ? { state: 'running', message: note } : { state: 'failed', message: `NVML: ${problems.join('; ')}` });
  };

  return {
    kind: 'stream',
    name: 'nvml',
    async start() {
      if (started) return;
      started = true;
      try {
        const n = (o.load ?? loadNvml)(o.library);
        n.init();
        let opened: { counters: Counter[]; skipped: string[] };
        try {
          opened = open(n);
        } catch (err) {
          n.shutdown();
          throw err;
        }
        if (opened.counters.length === 0) {
          n.shutdown();
          const why = opened.skipped.length > 0 ? opened.skipped.join('; ') : 'no GPU';
          set({ state: 'unavailable', message: `NVML energy counter not read (${why}): GPU energy is the power integral` });
          return;
        }
        nvml = n;
        counters = opened.counters;
        note = opened.skipped.length > 0 ? `NVML: ${opened.skipped.join('; ')} (runs on it use the power integral)` : null;
        set({ state: 'running', message: note });
        read();
        timer = o.scheduler.setInterval(read, o.intervalMs);
      } catch (err) {
        set({ state: 'unavailable', message: `NVML energy counter not read: ${messageOf(err)}; GPU energy is the power integral` });
      }
    },
    async stop() {
      if (!started) return;
      started = false;
      o.scheduler.clear(timer);
      timer = null;
      const n = nvml;
      nvml = null;
      counters = [];
      note = null;
      if (!n) return;
      try {
        n.shutdown();
      } catch (err) {
        o.log.warn({ err }, 'nvmlShutdown failed');
      }
      set({ state: 'idle', message: null });
    },
    health: () => ({ ...health }),
  };
}

export const nvmlSampler: SamplerFactory = {
  name: 'nvml',
  create: (ctx) =>
    createNvmlSampler({ library: ctx.cfg.nvmlLibrary, intervalMs: ctx.cfg.sampleMs, clock: ctx.clock, scheduler: ctx.scheduler, sink: ctx.sink, log: ctx.log }),
};
