import { energyParts } from '../analysis/run-energy.js';
import type { Daemon } from '../daemon/create-daemon.js';
import type { GpuSample } from '../samplers/types.js';
import type { RunRow } from '../store/runs.js';
import { PromWriter, type Labels } from './prometheus.js';
import type { SseHub } from './sse-hub.js';

/** How long a finished run keeps its final energy series before it drops out of /metrics. */
export const FINISHED_RUN_RETENTION_MS = 15 * 60_000;

interface GpuAcc {
  t: number;
  w: number;
  energyJ: number;
}

interface RunAcc {
  until: number;
  gpuJ: number;
  ramJ: number;
  cpuJ: number | null;
}

/**
 * State behind GET /metrics: GPU energy integrated from the sample stream since the daemon started, and each running
 * run's energy integrated incrementally from the stored samples (each scrape reads only what arrived since the last).
 */
export class MetricsCollector {
  private readonly gpus = new Map<string, GpuAcc>();
  private readonly runsAcc = new Map<string, RunAcc>();
  private readonly onGpu = (batch: GpuSample[]): void => this.gpuBatch(batch);
  private readonly onRun = (run: RunRow, kind: string): void => {
    // The run's devices changed: its energy so far is recomputed on the next scrape.
    if (kind === 'devices' || kind === 'status') this.runsAcc.delete(run.id);
  };

  constructor(private readonly d: Daemon, private readonly hub: SseHub) {
    d.gpuListeners.add(this.onGpu);
    d.listeners.add(this.onRun);
  }

  close(): void {
    this.d.gpuListeners.delete(this.onGpu);
    this.d.listeners.delete(this.onRun);
  }

  private gpuBatch(batch: GpuSample[]): void {
    const maxGap = this.d.config.gapIntervals * this.d.config.sampleMs + 1;
    for (const s of batch) {
      if (s.powerW === null) continue;
      const acc = this.gpus.get(s.uuid);
      if (!acc) {
        this.gpus.set(s.uuid, { t: s.t, w: s.powerW, energyJ: 0 });
        continue;
      }
      const dt = s.t - acc.t;
      if (dt <= 0) continue;
      // A gap longer than a few intervals is not bridged, as in the run energy.
      if (dt <= maxGap) acc.energyJ += ((acc.w + s.powerW) / 2) * (dt / 1000);
      acc.t = s.t;
      acc.w = s.powerW;
    }
  }

  /** Energy of a running run up to a settled time (samples before it are surely stored). */
  private runEnergy(run: RunRow, now: number): RunAcc {
    const cfg = this.d.config;
    const settled = now - (2 * Math.max(cfg.sampleMs, cfg.processSampleMs) + cfg.flushMs);
    let acc = this.runsAcc.get(run.id);
    if (!acc) {
      acc = { until: run.started_at, gpuJ: 0, ramJ: 0, cpuJ: null };
      this.runsAcc.set(run.id, acc);
    }
    if (settled > acc.until) {
      const p = energyParts(this.d.samples, run, this.d.runs.devices(run.rid), [acc.until, settled], {
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

  render(): string {
    const d = this.d;
    const now = d.now();
    const running = d.runs.list({ status: 'running' });
    for (const id of this.runsAcc.keys()) if (!running.some((r) => r.id === id)) this.runsAcc.delete(id);
    const finished = d.db
      .prepare("SELECT * FROM runs WHERE status != 'running' AND ended_at >= ? AND energy IS NOT NULL ORDER BY ended_at DESC LIMIT 1000")
      .all(now - FINISHED_RUN_RETENTION_MS) as RunRow[];
    const energy: [Labels, number][] = [];
    const projected: [Labels, number][] = [];
    const component = (id: string, parts: { gpuJ: number; ramJ: number; cpuJ: number | null }): void => {
      energy.push([{ run_id: id, component: 'gpu' }, parts.gpuJ], [{ run_id: id, component: 'ram' }, parts.ramJ]);
      if (parts.cpuJ !== null) energy.push([{ run_id: id, component: 'cpu' }, parts.cpuJ]);
    };
    for (const r of running) component(r.id, this.runEnergy(r, now));
    for (const r of finished) component(r.id, JSON.parse(r.energy as string) as RunAcc);
    for (const r of [...running, ...finished]) {
      const p = d.analysisOf(r).projection as { powerBasedJ?: unknown; epochEnergyBasedJ?: unknown } | null;
      if (typeof p?.powerBasedJ === 'number') projected.push([{ run_id: r.id, method: 'power_based' }, p.powerBasedJ]);
      if (typeof p?.epochEnergyBasedJ === 'number') projected.push([{ run_id: r.id, method: 'epoch_energy' }, p.epochEnergyBasedJ]);
    }
    const gpus = [...this.gpus.entries()];
    const h = d.sampling.gpuHealth;
    const w = new PromWriter()
      .family('profiler_gpu_energy_joules_total', 'counter', 'GPU energy integrated (trapezoid) from the sample stream since the daemon started.',
        gpus.map(([uuid, a]) => [{ uuid }, a.energyJ]))
      .family('profiler_gpu_power_watts', 'gauge', 'Last GPU power reading.', gpus.map(([uuid, a]) => [{ uuid }, a.w]))
      .family('profiler_gpu_last_sample_timestamp_seconds', 'gauge', 'Time of the last GPU power reading (nvidia-smi clock).',
        gpus.map(([uuid, a]) => [{ uuid }, a.t / 1000]))
      .family('profiler_run_energy_joules_total', 'counter',
        'Energy of a run by component: running runs live, finished runs their final value for 15 minutes after the end.', energy)
      .family('profiler_run_projected_energy_joules', 'gauge', 'Projected total energy of a run by estimator.', projected)
      .family('profiler_runs_active', 'gauge', 'Runs being recorded.', [[{}, running.length]])
      .family('profiler_sampler_up', 'gauge', '1 when the sampler is producing data.', [[{ sampler: h.name }, h.state === 'running' ? 1 : 0]])
      .family('profiler_sampler_restarts_total', 'counter', 'Restarts of the sampler process.', [[{ sampler: h.name }, h.restarts]])
      .family('profiler_gpu_samples_received_total', 'counter', 'GPU samples received from nvidia-smi.', [[{}, d.sampling.samplesReceived]])
      .family('profiler_samples_stored_total', 'counter', 'Sample rows (GPU, process, host) written to the database.', [[{}, d.samples.rowsWritten]])
      .family('profiler_samples_pending', 'gauge', 'Sample rows queued for the next database write.', [[{}, d.samples.pending]]);
    const dropped = (d.samples as unknown as { rowsDropped?: unknown }).rowsDropped;
    if (typeof dropped === 'number') {
      w.family('profiler_samples_dropped_total', 'counter', 'Sample rows that could not be stored.', [[{}, dropped]]);
    }
    return w
      .family('profiler_sse_clients', 'gauge', 'Open event-stream connections.', [[{}, this.hub.clients]])
      .family('profiler_sse_dropped_events_total', 'counter', 'Events not sent because a client was not reading.', [[{}, this.hub.dropped]])
      .text();
  }
}
