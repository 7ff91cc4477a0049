import type { Config } from '../config/schema.js';
import type { GpuSample } from '../samplers/types.js';
import type { RunRow } from '../store/runs.js';
import { energyParts } from './energy.js';
import type { RunSet } from './open.js';

/** A time before which every sample is surely stored (they arrive in batches, a few intervals late). */
export function settledBefore(cfg: Pick<Config, 'sampleMs' | 'processSampleMs' | 'flushMs'>, now: number): number {
  return now - (2 * Math.max(cfg.sampleMs, cfg.processSampleMs) + cfg.flushMs);
}

/** Energy of a run so far as /metrics reports it. */
export interface MeteredRun {
  until: number;
  gpuJ: number;
  ramJ: number;
  cpuJ: number | null;
}

/** One GPU's energy integrated (trapezoid) from the sample stream since the daemon started, and its last reading. */
export interface StreamTotal {
  uuid: string;
  t: number;
  w: number;
  energyJ: number;
}

/**
 * Counters for /metrics: each running run's energy integrated incrementally from the stored samples (a scrape reads
 * only what arrived since the last), and every GPU's energy integrated from the live stream.
 */
export class MeteredEnergy {
  private readonly runs = new Map<string, MeteredRun>();
  private readonly gpus = new Map<string, StreamTotal>();

  constructor(private readonly set: Pick<RunSet, 'cfg' | 'samples' | 'runs'>) {}

  /** The run's devices changed or it ended: its energy so far is recomputed on the next read. */
  forget(runId: string): void {
    this.runs.delete(runId);
  }

  /** Keeps only the accumulators of these (running) runs. */
  retain(ids: Set<string>): void {
    for (const id of this.runs.keys()) if (!ids.has(id)) this.runs.delete(id);
  }

  /** Energy of a running run up to a settled time (samples before it are surely stored). */
  run(run: RunRow, now: number): MeteredRun {
    const cfg: Config = this.set.cfg;
    const settled = settledBefore(cfg, now);
    let acc = this.runs.get(run.id);
    if (!acc) this.runs.set(run.id, (acc = { until: run.started_at, gpuJ: 0, ramJ: 0, cpuJ: null }));
    if (settled > acc.until) {
      const p = energyParts(this.set.samples, run, this.set.runs.devices(run.rid), [acc.until, settled], {
        gpuMaxGapMs: cfg.gapIntervals * run.sample_ms + 1,
        procMaxGapMs: cfg.gapIntervals * cfg.processSampleMs + 1,
        ramWattsPerGB: cfg.ramWattsPerGB,
      });
      acc.gpuJ += p.gpu[0] ?? 0;
      acc.ramJ += p.ram[0] ?? 0;
      if (p.cpu) acc.cpuJ = (acc.cpuJ ?? 0) + (p.cpu[0] ?? 0);
      acc.until = settled;
    }
    return acc;
  }

  /** Adds a batch of the live stream; a gap longer than a few intervals is not bridged, as in the run energy. */
  addStream(batch: readonly GpuSample[]): void {
    const maxGap = this.set.cfg.gapIntervals * this.set.cfg.sampleMs + 1;
    for (const s of batch) {
      if (s.powerW === null) continue;
      const acc = this.gpus.get(s.uuid);
      if (!acc) {
        this.gpus.set(s.uuid, { uuid: s.uuid, t: s.t, w: s.powerW, energyJ: 0 });
        continue;
      }
      const dt = s.t - acc.t;
      if (dt <= 0) continue;
      if (dt <= maxGap) acc.energyJ += ((acc.w + s.powerW) / 2) * (dt / 1000);
      acc.t = s.t;
      acc.w = s.powerW;
    }
  }

  streamTotals(): StreamTotal[] {
    return [...this.gpus.values()];
  }
}
