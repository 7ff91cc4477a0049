// One run's page: stats, GPU power with epoch and stabilization markers, projection with its band, epochs; live over SSE.
import { follow, getJson } from './api.js';
import { epochChart, powerChart, projectionChart } from './charts.js';
import { h } from './format.js';
import { epochData, epochTable, header, marks, PowerSeries, projectionData, stats } from './run-parts.js';

const REFRESH_MS = 5000;
const MAX_LIVE_POINTS = 3000;

export async function renderRun(app, id) {
  window.__dash.page = 'run';
  const path = `/v1/runs/${encodeURIComponent(id)}`;
  let [run, epochs] = await Promise.all([getJson(path), getJson(`${path}/epochs`)]);
  id = run.id;
  const power = new PowerSeries();
  const history = [];
  const loadSamples = async () => {
    const fresh = new PowerSeries();
    fresh.load(await getJson(`${path}/samples?maxPoints=1500`), run);
    power.devices = fresh.devices;
  };
  await loadSamples();
  if (run.projection) history.push({ t: Date.now() / 1000, p: run.projection, measuredJ: run.energy.totalJ });

  const head = h('div', {});
  const statsBox = h('div', {});
  const powerEl = h('div', { class: 'chart', id: 'chart-power' });
  const projEl = h('div', { class: 'chart', id: 'chart-projection' });
  const epochEl = h('div', { class: 'chart', id: 'chart-epochs' });
  const tableBox = h('div', { class: 'table-wrap' });
  const exportLinks = h('div', { class: 'muted' }, 'Data: ', h('a', { href: path }, 'run JSON'), ' · ',
    h('a', { href: `${path}/epochs` }, 'epochs'), ' (the API needs the token when one is set; use profiler export)');
  app.replaceChildren(head, statsBox,
    h('section', { class: 'panel' }, h('h2', {}, 'GPU power', h('span', { class: 'muted small' }, ' dashed: epoch starts · red: stabilization point')), powerEl),
    h('section', { class: 'panel' }, h('h2', {}, 'Projected total energy', h('span', { class: 'muted small' }, ' shaded: 95 % band')), projEl),
    h('section', { class: 'panel' }, h('h2', {}, 'Per-epoch energy and mean power'), epochEl),
    h('section', { class: 'panel' }, h('h2', {}, 'Epochs'), tableBox, exportLinks));

  const charts = window.__dash.charts;
  const span = () => [Date.parse(run.startedAt) / 1000, (run.endedAt ? Date.parse(run.endedAt) : Date.now()) / 1000];
  const drawPower = () => {
    charts.power?.destroy();
    powerEl.replaceChildren();
    charts.power = powerChart(powerEl, power.labels(), power.data(), () => marks(run, epochs), span);
  };
  const drawAll = () => {
    head.replaceChildren(header(run));
    statsBox.replaceChildren(stats(run, epochs));
    tableBox.replaceChildren(epochTable(epochs));
    charts.epochs.setData(epochData(epochs));
    charts.projection.setData(projectionData(run, history));
    charts.power.redraw(false, false);
    window.__dash.epochMarkers = marks(run, epochs).epochs.length;
    window.__dash.stable = marks(run, epochs).stable !== null;
    window.__dash.status = run.status;
    window.__dash.projections = projectionData(run, history)[0].length;
  };
  drawPower();
  charts.projection = projectionChart(projEl, projectionData(run, history), span);
  charts.epochs = epochChart(epochEl, epochData(epochs));
  drawAll();
  if (run.status !== 'running') return;

  const live = document.getElementById('live');
  live.hidden = false;
  let pending = null;
  let timer = null;
  // Epoch marks and energy come from the run JSON: refetch at most every 300 ms however fast events arrive.
  const refresh = () => {
    if (pending) return;
    pending = setTimeout(async () => {
      try {
        [run, epochs] = await Promise.all([getJson(path), getJson(`${path}/epochs`)]);
        if (run.status !== 'running') await loadSamples().then(drawPower);
        drawAll();
      } finally {
        pending = null;
      }
    }, 300);
  };
  const tick = () => {
    refresh();
    timer = setTimeout(tick, REFRESH_MS);
  };
  timer = setTimeout(tick, REFRESH_MS);
  let redraw = null;
  const onSample = (ev) => {
    const added = power.add(ev);
    if (added) drawPower();
    else if (!redraw) redraw = setTimeout(() => {
      redraw = null;
      charts.power.setData(power.data());
    }, 250);
    if (power.size > MAX_LIVE_POINTS) void loadSamples().then(drawPower);
  };
  await follow(id, (kind, data) => {
    if (kind === 'sample') onSample(data);
    else if (kind === 'projection') {
      history.push({ t: Date.now() / 1000, p: data.projection, measuredJ: run.energy.totalJ });
      run.projection = data.projection;
      drawAll();
    } else if (kind === 'stabilization') {
      run.stabilization = data.stabilization;
      drawAll();
    } else if (kind === 'status') {
      run.status = data.status;
      refresh();
    } else refresh();
  });
  clearTimeout(timer);
  live.hidden = true;
  refresh();
}
