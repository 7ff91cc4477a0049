// The package's library exports (CONTRACT.md): the analysis primitives, usable without the daemon.
export { matrixProfile, matrixProfileParallel, closeMatrixProfileWorkers } from './analysis/matrix-profile.js';
export { fluss } from './analysis/fluss.js';
export { detectStabilization, type Stabilization, type StabilizationInput } from './analysis/stabilization.js';
export { integrate, Integrator, type PowerSeries, type Integration } from './analysis/energy.js';
export {
  ESTIMATORS,
  powerBased,
  epochEnergy,
  mlco2,
  greenAlgorithms,
  type Estimator,
  type EstimatorInput,
  type Estimate,
  type EpochStat,
} from './analysis/estimators/index.js';
export { createDaemon, type Daemon, type DaemonOptions } from './daemon/create-daemon.js';
export { loadConfig } from './config/load.js';
export type { Config } from './config/schema.js';
export type { GpuSample, GpuDevice, ProcessSample, SamplerHealth } from './samplers/types.js';
