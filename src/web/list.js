// The runs list: status and name filters, energy and projection per run, pick two or more to compare.
import { getJson } from './api.js';
import { fmtBand, fmtDuration, fmtEnergy, fmtTime, h, primary, runTitle, statusBadge } from './format.js';

const STATUSES = ['running', 'succeeded', 'failed', 'interrupted', 'imported'];
const REFRESH_MS = 5000;
const LIMIT = 200;

export async function renderList(app) {
  window.__dash.page = 'list';
  const params = new URLSearchParams(location.search);
  const status = h('select', { id: 'filter-status', 'aria-label': 'status' },
    h('option', { value: '' }, 'any status'), STATUSES.map((s) => h('option', { value: s }, s)));
  status.value = STATUSES.includes(params.get('status')) ? params.get('status') : '';
  const name = h('input', { id: 'filter-name', type: 'search', placeholder: 'filter by name or id', value: params.get('name') ?? '' });
  const compare = h('button', { id: 'compare', type: 'button', disabled: true }, 'Compare selected');
  const count = h('span', { class: 'muted', id: 'runs-count' });
  const body = h('tbody');
  const table = h('table', { id: 'runs-table', class: 'runs' },
    h('thead', {}, h('tr', {}, ['', 'Run', 'Status', 'Started', 'Duration', 'Energy', 'Projected total', 'GPUs'].map((c) => h('th', {}, c)))),
    body);
  app.replaceChildren(h('section', { class: 'toolbar' }, h('h1', {}, 'Runs'), status, name, compare, count), h('div', { class: 'table-wrap' }, table));

  const selected = new Set();
  let runs = [];
  const syncCompare = () => {
    compare.disabled = selected.size < 2;
    compare.textContent = selected.size < 2 ? 'Compare selected (pick 2+)' : `Compare ${selected.size} runs`;
  };
  compare.addEventListener('click', () => {
    location.href = `/compare?runs=${[...selected].map(encodeURIComponent).join(',')}`;
  });

  const draw = () => {
    const needle = name.value.trim().toLowerCase();
    // The name (the command for an unnamed run) or the id: the command line of a named run would match too much.
    const shown = runs.filter((r) => !needle || `${r.name ?? r.command.join(' ')} ${r.id}`.toLowerCase().includes(needle));
    body.replaceChildren(...shown.map((r) => {
      const p = primary(r.projection);
      const box = h('input', { type: 'checkbox', 'aria-label': `select ${r.id}`, checked: selected.has(r.id) });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(r.id);
        else selected.delete(r.id);
        syncCompare();
      });
      return h('tr', { dataset: { run: r.id, status: r.status } },
        h('td', {}, box),
        h('td', {}, h('a', { href: `/runs/${encodeURIComponent(r.id)}` }, runTitle(r)), h('div', { class: 'muted mono' }, r.id)),
        h('td', {}, statusBadge(r.status)),
        h('td', {}, fmtTime(r.startedAt)),
        h('td', { class: 'num' }, fmtDuration(r.durationS)),
        h('td', { class: 'num energy' }, fmtEnergy(r.energy.totalJ)),
        h('td', { class: 'num' }, p ? fmtBand(p.j, p.band) : '—'),
        h('td', { class: 'num' }, String(r.devices.length)));
    }));
    count.textContent = `${shown.length} of ${runs.length} run(s)`;
    if (runs.length === 0) body.replaceChildren(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No runs yet: start one with profiler run -- CMD')));
    const q = new URLSearchParams();
    if (status.value) q.set('status', status.value);
    if (name.value.trim()) q.set('name', name.value.trim());
    history.replaceState(null, '', q.size ? `/?${q}` : '/');
  };

  const load = async () => {
    runs = await getJson(`/v1/runs?limit=${LIMIT}${status.value ? `&status=${status.value}` : ''}`);
    for (const id of [...selected]) if (!runs.some((r) => r.id === id)) selected.delete(id);
    draw();
    syncCompare();
    window.__dash.runs = runs.length;
  };
  // New runs and running ones change the list by themselves: poll, skipping while the tab is hidden.
  const poll = () => setTimeout(async () => {
    if (!document.hidden) await load().catch(() => {});
    poll();
  }, REFRESH_MS);
  status.addEventListener('change', () => void load());
  name.addEventListener('input', draw);
  await load();
  poll();
}
