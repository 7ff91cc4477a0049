import { hostMemorySampler } from './host.js';
import { nvidiaSmiSampler } from './nvidia-smi-sampler.js';
import { processTreeSampler } from './process-tree.js';
import { raplSampler } from './rapl.js';
import type { SamplerFactory } from './types.js';

/** Every sampler the daemon runs, in one list: adding one (e.g. NVML) is one more entry here. */
export const SAMPLERS: readonly SamplerFactory[] = Object.freeze([
  nvidiaSmiSampler,
  hostMemorySampler,
  processTreeSampler,
  raplSampler,
]);
