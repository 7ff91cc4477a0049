import type { MetricsSnapshot } from './deps.js';
import { PromWriter, type Labels } from './prometheus.js';

type Parts = { gpuJ: number; ramJ: number; cpuJ: number | null };
type Projected = { powerBasedJ?: number | null; epochEnergyBasedJ?: number | null } | null;
type Series = [Labels, number][];

/** Each known projection of `p` as (labels + method) samples. */
function projectedOf(labels: Labels, p: Projected): Series {
  const out: Series = [];
  if (p?.powerBasedJ != null) out.push([{ ...labels, method: 'power_based' }, p.powerBasedJ]);
  if (p?.epochEnergyBasedJ != null) out.push([{ ...labels, method: 'epoch_energy' }, p.epochEnergyBasedJ]);
  return out;
}

function runFamilies(m: MetricsSnapshot): { energy: Series; projected: Series } {
  const energy: Series = [];
  const projected: Series = [];
  const component = (id: string, parts: Parts): void => {
    energy.push([{ run_id: id, component: 'gpu' }, parts.gpuJ], [{ run_id: id, component: 'ram' }, parts.ramJ]);
    if (parts.cpuJ !== null) energy.push([{ run_id: id, component: 'cpu' }, parts.cpuJ]);
  };
  for (const r of [...m.running, ...m.finished]) {
    component(r.id, r.energy);
    projected.push(...projectedOf({ run_id: r.id }, r.projection));
  }
  return { energy, projected };
}

/** The Prometheus text of GET /metrics, from one snapshot of the daemon's state and the event hub's counters. */
export function renderMetrics(m: MetricsSnapshot, hub: { clients: number; dropped: number }): string {
  const { energy, projected } = runFamilies(m);
  const gpus = m.gpus;
  const grace = `${m.graceS} s`;
  return new PromWriter()
    .family('profiler_gpu_energy_joules_total', 'counter', 'GPU energy integrated (trapezoid) from the sample stream since the daemon started.',
      gpus.map((g) => [{ uuid: g.uuid }, g.energyJ]))
    .family('profiler_gpu_power_watts', 'gauge', 'Last GPU power reading.', gpus.map((g) => [{ uuid: g.uuid }, g.w]))
    .family('profiler_gpu_last_sample_timestamp_seconds', 'gauge', 'Time of the last GPU power reading (nvidia-smi clock).',
      gpus.map((g) => [{ uuid: g.uuid }, g.t / 1000]))
    .family('profiler_run_energy_joules_total', 'counter',
      `Energy of a run by component: running runs live, finished runs their final value for ${grace} after the end.`, energy)
    .family('profiler_run_projected_energy_joules', 'gauge', 'Projected total energy of a run by estimator.', projected)
    .family('profiler_job_energy_joules_total', 'counter',
      `Energy (GPU + RAM) of a job's runs on this node, a GPU shared by its runs counted once; shown while a run lives and ${grace} after.`,
      m.jobs.map((j) => [{ job_id: j.id, host: m.host }, j.energyJ]))
    .family('profiler_job_projected_energy_joules', 'gauge', 'Projected total energy of a job on this node by estimator.',
      m.jobs.flatMap((j) => projectedOf({ job_id: j.id, host: m.host }, j.projection)))
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
