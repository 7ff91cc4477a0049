import { hostMemorySampler } from './host.js';
import { nvidiaSmiSampler } from './nvidia-smi-sampler.js';
import { nvmlSampler } from './nvml-sampler.js';
import { processTreeSampler } from './process-tree.js';
import { raplSampler } from './rapl.js';
import type { SamplerFactory } from './types.js';

/** Every sampler the daemon runs, in one list: adding one is one more entry here. */
export const SAMPLERS: readonly SamplerFactory[] = Object.freeze([
  nvidiaSmiSampler,
  nvmlSampler,
  hostMemorySampler,
  processTreeSampler,
  raplSampler,
]);
