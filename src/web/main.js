// Picks the page from the path: / (runs), /runs/:id (one run), /compare?runs=a,b (several runs), /docs (the API).
import { renderCompare } from './compare.js';
import { renderDocs } from './docs.js';
import { h } from './format.js';
import { renderList } from './list.js';
import { renderRun } from './run.js';

// What the page drew, for the browser tests and for a curious console.
window.__dash = { page: null, charts: {}, ready: false };
const app = document.getElementById('app');
const run = /^\/runs\/([^/]+)\/?$/.exec(location.pathname);
try {
  if (run) await renderRun(app, decodeURIComponent(run[1]));
  else if (location.pathname === '/compare') {
    const ids = (new URLSearchParams(location.search).get('runs') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    await renderCompare(app, ids);
  } else if (location.pathname === '/docs') await renderDocs(app);
  else await renderList(app);
} catch (err) {
  app.replaceChildren(h('p', { class: 'error', id: 'page-error' }, err instanceof Error ? err.message : String(err)));
}
window.__dash.ready = true;
