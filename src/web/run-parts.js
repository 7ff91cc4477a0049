// Pieces of a run's page: the stat cards, the epochs table, and the arrays its charts draw.
import { align } from './charts.js';
import { fmtDuration, fmtEnergy, fmtJ, fmtTime, fmtW, h, primary, runTitle, statusBadge } from './format.js';

const sec = (iso) => Date.parse(iso) / 1000;

const card = (id, label, value, sub = '') =>
  h('div', { class: 'stat', id }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value), h('div', { class: 'stat-sub muted' }, sub));

const bandText = (b) => (b && b[1] > b[0] ? `95 %: ${fmtJ(b[0])} – ${fmtJ(b[1])}` : b ? 'no epoch left to project' : 'no band yet');

export const doneEpochs = (epochs) => epochs.filter((e) => e.endedAt !== null).length;

/** Seconds left by the projection (its remaining time), else by the mean epoch duration; null when unknown. */
function timeLeft(run, epochs) {
  if (run.status !== 'running') return null;
  const p = run.projection;
  const r = p?.epochEnergyBased?.remainingS ?? p?.powerBased?.remainingS;
  if (Number.isFinite(r)) return r;
  const done = epochs.filter((e) => e.durationS !== null);
  if (!run.expectedEpochs || done.length === 0) return null;
  const mean = done.reduce((a, e) => a + e.durationS, 0) / done.length;
  return Math.max(0, run.expectedEpochs - done.length) * mean;
}

export function header(run) {
  return h('section', { class: 'run-head' },
    h('h1', {}, runTitle(run), ' ', statusBadge(run.status)),
    h('div', { class: 'muted mono' }, run.id, ' · ', run.command.join(' ')),
    h('div', { class: 'muted' }, `started ${fmtTime(run.startedAt)}`, run.endedAt ? ` · ended ${fmtTime(run.endedAt)}` : '',
      run.exitCode !== null ? ` · exit ${run.exitCode}` : ''));
}

export function stats(run, epochs) {
  const e = run.energy;
  const p = primary(run.projection);
  const st = run.stabilization;
  const done = doneEpochs(epochs);
  const left = timeLeft(run, epochs);
  const meanW = run.durationS > 0 ? e.totalJ / run.durationS : null;
  return h('section', { class: 'stats' },
    card('stat-energy', run.status === 'running' ? 'Energy so far' : 'Energy', fmtJ(e.totalJ), fmtEnergy(e.totalJ).split(' · ')[1]),
    card('stat-gpu', 'GPU', fmtJ(e.gpuJ), `${run.devices.length} GPU(s)${e.gpuMethod ? ` · ${e.gpuMethod}` : ''}`),
    card('stat-ram', 'RAM', fmtJ(e.ramJ), e.cpuJ === null || e.cpuJ === undefined ? 'CPU not measured' : `CPU ${fmtJ(e.cpuJ)}`),
    card('stat-power', 'Mean power', fmtW(meanW), fmtDuration(run.durationS)),
    card('stat-epochs', 'Epochs', `${done}${run.expectedEpochs ? ` / ${run.expectedEpochs}` : ''}`,
      left === null ? (run.expectedEpochs ? 'expected' : 'total unknown') : `≈ ${fmtDuration(left)} left`),
    card('stat-projection', 'Projected total', p ? fmtJ(p.j) : '—',
      h('span', { id: 'projection-band' }, p ? `${bandText(p.band)} · ${p.method}${run.projection.provisional ? ', provisional' : ''}` : 'not yet')),
    card('stat-stable', 'Stable from', st?.epoch ? `epoch ${st.epoch}` : '—', st ? `${st.method}${st.at ? ` · ${fmtTime(st.at)}` : ''}` : 'not determined yet'),
    ...(run.budget ? [budgetCard(run.budget)] : []));
}

/** The run's `--budget`: the limit, whether it holds, and why it does not (the daemon's reason). */
function budgetCard(b) {
  const c = card('stat-budget', 'Budget', fmtJ(b.limitJ), b.exceeded ? `exceeded · ${b.action}` : `holds · ${b.action}`);
  if (b.exceeded) {
    c.classList.add('over');
    c.title = b.reason ?? '';
  }
  return c;
}

export function epochTable(epochs) {
  const rows = epochs.map((e) => h('tr', { dataset: { epoch: e.epoch } },
    h('td', { class: 'num' }, String(e.epoch)), h('td', { class: 'num' }, fmtDuration(e.durationS)),
    h('td', { class: 'num' }, fmtJ(e.energyJ)), h('td', { class: 'num' }, fmtJ(e.gpuJ)), h('td', { class: 'num' }, fmtJ(e.ramJ)),
    h('td', { class: 'num' }, fmtW(e.avgPowerW))));
  return h('table', { id: 'epochs-table', class: 'runs' },
    h('thead', {}, h('tr', {}, ['Epoch', 'Duration', 'Energy', 'GPU', 'RAM', 'Mean power'].map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No epoch seen yet'))));
}

/** Epoch starts and the stabilization time, in seconds, for the power chart's markers. */
export function marks(run, epochs) {
  return { epochs: epochs.map((e) => sec(e.startedAt)), stable: run.stabilization?.at ? sec(run.stabilization.at) : null };
}

/** Per-epoch energy and mean power for the epoch chart (finished epochs only). */
export function epochData(epochs) {
  const done = epochs.filter((e) => e.energyJ !== null);
  return [done.map((e) => e.epoch), done.map((e) => e.energyJ), done.map((e) => e.avgPowerW)];
}

/**
 * The projection chart: the recorded live projections of a running run, or the final projection of a finished one
 * drawn from the stabilization point to the end, with the energy measured at each point.
 */
export function projectionData(run, history) {
  const pts = run.status === 'running' || !run.projection ? history
    : [{ t: run.stabilization?.at ? sec(run.stabilization.at) : sec(run.startedAt), p: run.projection, measuredJ: null },
        { t: sec(run.endedAt ?? run.startedAt), p: run.projection, measuredJ: run.energy.totalJ }];
  const col = (f) => pts.map((x) => f(x) ?? null);
  return [col((x) => x.t), col((x) => x.p.epochEnergyBasedJ), col((x) => x.p.bands?.epochEnergyBasedJ?.[0]),
    col((x) => x.p.bands?.epochEnergyBasedJ?.[1]), col((x) => x.p.powerBasedJ), col((x) => x.measuredJ),
    ...(run.budget ? [col(() => run.budget.limitJ)] : [])];
}

/** GPU power samples, one map (seconds → W) per device, and the aligned arrays uPlot draws. */
export class PowerSeries {
  constructor() {
    this.devices = new Map();
  }

  label(uuid, index, name) {
    if (!this.devices.has(uuid)) this.devices.set(uuid, { label: `GPU ${index ?? '?'}${name ? ` · ${name}` : ''}`, points: new Map() });
    return this.devices.get(uuid);
  }

  /** The server's downsampled buckets (GET /v1/runs/:id/samples). */
  load(reply, run) {
    const names = new Map(run.devices.map((d) => [d.uuid, d.name]));
    for (const d of reply.devices) {
      const dev = this.label(d.uuid, d.index, names.get(d.uuid));
      for (const p of d.points) if (p.meanW !== null) dev.points.set(p.t / 1000, p.meanW);
    }
  }

  /** A live 1 s sample event; returns true when it names a device not seen before. */
  add(ev) {
    const known = this.devices.has(ev.uuid);
    this.label(ev.uuid, ev.index, null).points.set(ev.t / 1000, ev.meanW);
    return !known;
  }

  get size() {
    let n = 0;
    for (const d of this.devices.values()) n = Math.max(n, d.points.size);
    return n;
  }

  labels() {
    return [...this.devices.values()].map((d) => d.label);
  }

  data() {
    return align([...this.devices.values()].map((d) => d.points));
  }
}
