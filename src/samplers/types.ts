import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock, Scheduler } from '../platform/clock.js';

/** One row of the GPU stream: every time is Unix epoch ms; a missing or special value is null, never invented. */
export interface GpuSample {
  t: number;
  uuid: string;
  index: number | null;
  powerW: number | null;
  powerInstantW: number | null;
  powerLimitW: number | null;
  utilGpuPct: number | null;
  utilMemPct: number | null;
  memUsedMiB: number | null;
  memTotalMiB: number | null;
  tempC: number | null;
  smClockMHz: number | null;
}

/** One read of a GPU's NVML total-energy counter: mJ since the driver loaded, at Unix epoch ms `t`. */
export interface GpuEnergySample {
  t: number;
  uuid: string;
  energyMj: number;
}

/** A GPU as the inventory sees it at daemon start. */
export interface GpuDevice {
  uuid: string;
  index: number;
  name: string;
  powerLimitW: number | null;
  maxPowerLimitW: number | null;
  memTotalMiB: number | null;
  driverVersion: string | null;
  cudaVersion: string | null;
  /** MIG device UUIDs (MIG-…) that live on this GPU. */
  migUuids: string[];
}

/** One process of a run's tree, sampled. */
export interface ProcessSample {
  t: number;
  pid: number;
  rssBytes: number;
  cpuPct: number;
}

/** Health of one sampler, stored next to its data. */
export interface SamplerHealth {
  name: string;
  state: 'idle' | 'running' | 'restarting' | 'unavailable' | 'failed';
  lastSampleAt: number | null;
  restarts: number;
  message: string | null;
}

export type SamplerState = SamplerHealth['state'];

/** What every sampler is to the loop: a name, a lifecycle, and its health reported next to its data. */
export interface SamplerBase {
  readonly name: string;
  /** Idempotent; a sampler that cannot work here (no driver, no counters) reports `unavailable`, it does not throw. */
  start(): Promise<void>;
  /** Idempotent; leaves no timer or child process behind. */
  stop(): Promise<void>;
  health(): SamplerHealth;
}

/** A sampler the loop ticks: one reading per call, or null when it has nothing to report this tick. */
export interface PeriodicSampler extends SamplerBase {
  readonly kind: 'periodic';
  sample(): Promise<Reading | null>;
  /** The loop stopped waiting for a sample() call: health says so until a later call answers. */
  timedOut(afterMs: number): void;
}

/** A sampler that produces on its own (a long-lived child process) and pushes what it reads into a SampleSink. */
export interface StreamSampler extends SamplerBase {
  readonly kind: 'stream';
}

export type Sampler = PeriodicSampler | StreamSampler;

/** The process tree of one tracked run at one moment (sums over its live processes). */
export interface TreeReading {
  runId: string;
  t: number;
  pids: number[];
  rssBytes: number;
  cpuPct: number;
}

/** What periodic samplers return; the loop routes each kind to the store. */
export type Reading =
  | { kind: 'host-memory'; t: number; totalBytes: number; usedBytes: number }
  | { kind: 'cpu-energy'; t: number; energyJ: number }
  | { kind: 'process-trees'; t: number; trees: TreeReading[] };

/** A stretch without GPU samples that must not be filled. */
export interface GpuGap {
  from: number;
  to: number;
  reason: string;
}

/** Where stream samplers push their samples, gaps and health changes (the loop stores and reacts; samplers never store). */
export interface SampleSink {
  gpu(samples: GpuSample[]): void;
  gap(gap: GpuGap): void;
  /** Reads of the GPUs' energy counters (NVML). */
  gpuEnergy(samples: GpuEnergySample[]): void;
  health(h: SamplerHealth): void;
}

/** What a sampler factory is given: settings, time, a logger, where to push, and which process trees to follow. */
export interface SamplerContext {
  cfg: Config;
  clock: Clock;
  scheduler: Scheduler;
  log: Logger;
  sink: SampleSink;
  /** The tracked runs whose command is known: the roots of the process trees to sample. */
  targets(): readonly { runId: string; pid: number }[];
}

/** One entry of the registry (src/samplers/registry.ts). */
export interface SamplerFactory {
  readonly name: string;
  create(ctx: SamplerContext): Sampler;
}
