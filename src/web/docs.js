// /docs in a browser: the daemon's OpenAPI spec (/docs/json, fetched with the token) as a readable list of routes.
import { getJson } from './api.js';
import { h } from './format.js';

const METHODS = ['get', 'post', 'put', 'delete'];

/** The names of an object schema's properties, marked `?` when optional. */
function fields(schema) {
  const props = schema?.properties ?? {};
  const req = new Set(schema?.required ?? []);
  return Object.keys(props).map((k) => (req.has(k) ? k : `${k}?`)).join(', ');
}

function params(op) {
  const by = (where) => (op.parameters ?? []).filter((p) => p.in === where).map((p) => (p.required ? p.name : `${p.name}?`)).join(', ');
  const body = op.requestBody?.content?.['application/json']?.schema;
  return [['path', by('path')], ['query', by('query')], ['body', body ? fields(body) : '']].filter(([, v]) => v !== '');
}

export async function renderDocs(app) {
  const spec = await getJson('/docs/json');
  window.__dash.page = 'docs';
  const rows = [];
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      rows.push(h('tr', { dataset: { route: `${m.toUpperCase()} ${path}` } },
        h('td', { class: 'mono' }, m.toUpperCase()), h('td', { class: 'mono' }, path), h('td', {}, op.summary ?? ''),
        h('td', { class: 'muted' }, ...params(op).map(([k, v]) => h('div', {}, `${k}: ${v}`)))));
    }
  }
  window.__dash.routes = rows.length;
  app.replaceChildren(
    h('h1', {}, spec.info?.title ?? 'API'),
    h('p', { class: 'muted' }, spec.info?.description ?? '', ' The spec itself: ', h('a', { href: '/docs/json' }, '/docs/json'),
      ' (OpenAPI 3; the API needs the token when one is set).'),
    h('table', { class: 'table', id: 'routes' },
      h('thead', {}, h('tr', {}, h('th', {}, 'method'), h('th', {}, 'path'), h('th', {}, 'what'), h('th', {}, 'parameters'))),
      h('tbody', {}, ...rows)));
}
