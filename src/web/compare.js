// Several runs side by side: total GPU power against time since each start, per-epoch energy, and a summary table.
import { getJson } from './api.js';
import { align, overlayChart, PALETTE } from './charts.js';
import { fmtBand, fmtDuration, fmtEnergy, fmtJ, fmtW, h, primary, runTitle, statusBadge } from './format.js';

/** Total GPU power of a run (its devices summed per bucket), keyed by seconds since the run started. */
function totalPower(run, samples) {
  const t0 = Date.parse(run.startedAt);
  const sum = new Map();
  for (const d of samples.devices) {
    for (const p of d.points) {
      if (p.meanW === null) continue;
      const x = (p.t - t0) / 1000; // every device of a run shares the bucket grid, so the sum is per bucket
      sum.set(x, (sum.get(x) ?? 0) + p.meanW);
    }
  }
  return sum;
}

export async function renderCompare(app, ids) {
  window.__dash.page = 'compare';
  if (ids.length < 2) {
    app.replaceChildren(h('p', { class: 'error', id: 'page-error' }, 'Compare needs two or more runs: /compare?runs=ID,ID (pick them in the runs list).'));
    return;
  }
  const runs = await Promise.all(ids.map(async (id) => {
    const path = `/v1/runs/${encodeURIComponent(id)}`;
    const [run, epochs] = await Promise.all([getJson(path), getJson(`${path}/epochs`)]);
    const samples = await getJson(`${path}/samples?maxPoints=600`);
    return { run, epochs, power: totalPower(run, samples) };
  }));
  const labels = runs.map(({ run }) => `${runTitle(run)} (${run.id.slice(0, 8)})`);
  const powerEl = h('div', { class: 'chart', id: 'chart-compare-power' });
  const epochEl = h('div', { class: 'chart', id: 'chart-compare-epochs' });
  const rows = runs.map(({ run, epochs }, i) => {
    const p = primary(run.projection);
    const done = epochs.filter((e) => e.energyJ !== null);
    const perEpoch = done.length ? done.reduce((a, e) => a + e.energyJ, 0) / done.length : null;
    return h('tr', { dataset: { run: run.id } },
      h('td', {}, h('span', { class: 'swatch', style: `background:${PALETTE[i % PALETTE.length]}` }),
        h('a', { href: `/runs/${encodeURIComponent(run.id)}` }, runTitle(run))),
      h('td', {}, statusBadge(run.status)), h('td', { class: 'num' }, fmtDuration(run.durationS)),
      h('td', { class: 'num energy' }, fmtEnergy(run.energy.totalJ)),
      h('td', { class: 'num' }, String(epochs.length)), h('td', { class: 'num' }, fmtJ(perEpoch)),
      h('td', { class: 'num' }, fmtW(run.durationS > 0 ? run.energy.totalJ / run.durationS : null)),
      h('td', { class: 'num' }, p ? fmtBand(p.j, p.band) : '—'));
  });
  app.replaceChildren(
    h('h1', {}, `Comparing ${runs.length} runs`),
    h('div', { class: 'table-wrap spaced' }, h('table', { id: 'compare-table', class: 'runs' },
      h('thead', {}, h('tr', {}, ['Run', 'Status', 'Duration', 'Energy', 'Epochs', 'Energy / epoch', 'Mean power', 'Projected total'].map((c) => h('th', {}, c)))),
      h('tbody', {}, rows))),
    h('section', { class: 'panel' }, h('h2', {}, 'Total GPU power', h('span', { class: 'muted small' }, ' against time since each run started')), powerEl),
    h('section', { class: 'panel' }, h('h2', {}, 'Energy per epoch'), epochEl));
  const charts = window.__dash.charts;
  charts.power = overlayChart(powerEl, labels, align(runs.map((r) => r.power)));
  const perEpoch = runs.map(({ epochs }) => new Map(epochs.filter((e) => e.energyJ !== null).map((e) => [e.epoch, e.energyJ])));
  charts.epochs = overlayChart(epochEl, labels, align(perEpoch), { x: 'epoch', y: 'energy', height: 220 });
}
