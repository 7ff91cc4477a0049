export type { GpuSample, GpuDevice, ProcessSample, SamplerHealth } from './samplers/types.js';
