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
