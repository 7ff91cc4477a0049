import type { MetricsSnapshot } from './deps.js';
import { PromWriter, type Labels } from './prometheus.js';

/** How long a finished run keeps its final energy series before it drops out of /metrics. */
export const FINISHED_RUN_RETENTION_MS = 15 * 60_000;

type Parts = { gpuJ: number; ramJ: number; cpuJ: number | null };

function runFamilies(m: MetricsSnapshot): { energy: [Labels, number][]; projected: [Labels, number][] } {
  const energy: [Labels, number][] = [];
  const projected: [Labels, number][] = [];
  const component = (id: string, parts: Parts): void => {
    energy.push([{ run_id: id, component: 'gpu' }, parts.gpuJ], [{ run_id: id, component: 'ram' }, parts.ramJ]);
    if (parts.cpuJ !== null) energy.push([{ run_id: id, component: 'cpu' }, parts.cpuJ]);
  };
  for (const r of [...m.running, ...m.finished]) {
    component(r.id, r.energy);
    const p = r.projection;
    if (p?.powerBasedJ != null) projected.push([{ run_id: r.id, method: 'power_based' }, p.powerBasedJ]);
    if (p?.epochEnergyBasedJ != null) projected.push([{ run_id: r.id, method: 'epoch_energy' }, p.epochEnergyBasedJ]);
  }
  return { energy, projected };
}

/** The Prometheus text of GET /metrics, from one snapshot of the daemon's state and the event hub's counters. */
export function renderMetrics(m: MetricsSnapshot, hub: { clients: number; dropped: number }): string {
  const { energy, projected } = runFamilies(m);
  const gpus = m.gpus;
  return new PromWriter()
    .family('profiler_gpu_energy_joules_total', 'counter', 'GPU energy integrated (trapezoid) from the sample stream since the daemon started.',
      gpus.map((g) => [{ uuid: g.uuid }, g.energyJ]))
    .family('profiler_gpu_power_watts', 'gauge', 'Last GPU power reading.', gpus.map((g) => [{ uuid: g.uuid }, g.w]))
    .family('profiler_gpu_last_sample_timestamp_seconds', 'gauge', 'Time of the last GPU power reading (nvidia-smi clock).',
      gpus.map((g) => [{ uuid: g.uuid }, g.t / 1000]))
    .family('profiler_run_energy_joules_total', 'counter',
      'Energy of a run by component: running runs live, finished runs their final value for 15 minutes after the end.', energy)
    .family('profiler_run_projected_energy_joules', 'gauge', 'Projected total energy of a run by estimator.', projected)
    .family('profiler_runs_active', 'gauge', 'Runs being recorded.', [[{}, m.running.length]])
    .family('profiler_sampler_up', 'gauge', '1 when the sampler is producing data.',
      m.samplers.map((h) => [{ sampler: h.name }, h.state === 'running' ? 1 : 0]))
    .family('profiler_sampler_restarts_total', 'counter', 'Restarts of the sampler.', m.samplers.map((h) => [{ sampler: h.name }, h.restarts]))
    .family('profiler_gpu_samples_received_total', 'counter', 'GPU samples received from nvidia-smi.', [[{}, m.samplesReceived]])
    .family('profiler_samples_stored_total', 'counter', 'Sample rows (GPU, process, host) written to the database.', [[{}, m.rowsWritten]])
    .family('profiler_samples_pending', 'gauge', 'Sample rows queued for the next database write.', [[{}, m.rowsPending]])
    .family('profiler_samples_dropped_total', 'counter', 'Sample rows that could not be stored.', [[{}, m.rowsDropped]])
    .family('profiler_sse_clients', 'gauge', 'Open event-stream connections.', [[{}, hub.clients]])
    .family('profiler_sse_dropped_events_total', 'counter', 'Events not sent because a client was not reading.', [[{}, hub.dropped]])
    .text();
}
