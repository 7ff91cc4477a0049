import type { Gap } from '../analysis/energy.js';
import type { ProjectionJson } from '../analysis/estimators/index.js';
import type { Stabilization } from '../analysis/stabilization.js';

/** A stretch of a device's power that integration did not bridge. */
export type DeviceGap = Gap & { device: string };

/** A run's energy as stored once it ended (and as computed live while it runs). */
export interface RunEnergy {
  totalJ: number;
  gpuJ: number;
  /** How gpuJ was measured: NVML's total-energy counter, or ∫ power.draw. Absent on energy sealed before NVML. */
  gpuMethod?: 'counter' | 'integral';
  /** GPU energy from the counters; null unless every GPU of the run has a usable one. */
  gpuCounterJ?: number | null;
  /** GPU energy as ∫ power.draw over the run. */
  gpuIntegralJ?: number;
  /** Why the counter was not used, where a GPU lacks one. */
  gpuNote?: string | null;
  ramJ: number;
  cpuJ: number | null;
  gpuCoverage: number;
  gaps: DeviceGap[];
  /** Set on the live view of a running run, where `gaps` lists only the open tail's. */
  gapCount?: number;
}

/** Energy of a running run from its start up to `until` (the last finalized epoch end). */
export interface EnergyPrefix {
  until: number;
  gpuJ: number;
  ramJ: number;
  cpuJ: number | null;
  coveredMs: number;
  gaps: number;
}

/** The cached analysis of a run: what /projection and /stabilization serve. */
export interface RunAnalysis {
  stabilization: Stabilization | null;
  projection: ProjectionJson | null;
  /** Closed epochs when the stabilization was last computed. */
  decidedAtEpochs?: number;
}

/** A run's energy budget (the run JSON's `budget`, CONTRACT.md) and whether, when and why it was exceeded. */
export interface RunBudget {
  limitJ: number;
  action: 'warn' | 'stop';
  exceeded: boolean;
  /** When it was found exceeded, epoch ms; null while it is not. */
  at: number | null;
  reason: string | null;
}
