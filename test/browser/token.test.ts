/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startDaemon, type TestDaemon } from '../integration/api-daemon.js';
import { launchBrowser, openPage, WAIT } from '../helpers/browser.js';

const TOKEN = 'dashboard-test-token';

/** A request with the path sent exactly as written (fetch would normalize `..`). */
function rawStatus(d: TestDaemon, path: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request(d.url, { path, method: 'GET' }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', rej);
    req.end();
  });
}

async function api(d: TestDaemon, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(d.url + path, {
    method, headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.status < 300, `${method} ${path}: HTTP ${res.status}`);
  return res.json();
}

describe('dashboard with a token', () => {
  let d: TestDaemon;
  let browser: Browser;
  before(async () => {
    d = await startDaemon({ PROFILER_TOKEN: TOKEN });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await d?.close();
  });

  it('serves the pages and assets without the token; everything under /v1 still needs it', async () => {
    for (const [path, type] of [['/', 'text/html'], ['/runs/abc', 'text/html'], ['/compare?runs=a,b', 'text/html'],
      ['/ui/main.js', 'javascript'], ['/ui/style.css', 'text/css'], ['/vendor/uPlot.iife.min.js', 'javascript'], ['/vendor/uPlot.min.css', 'text/css']]) {
      const res = await fetch(d.url + path);
      assert.equal(res.status, 200, path);
      assert.ok(res.headers.get('content-type')?.includes(type as string), `${path}: ${res.headers.get('content-type')}`);
    }
    for (const path of ['/v1/runs', '/v1/devices', '/v1/runs/abc/events', '/v1/runs/abc/samples', '/metrics', '/docs',
      '/ui/../v1/runs', '/runs/..%2Fv1%2Fruns', '/ui/%2e%2e/v1/runs', '//v1/runs']) {
      assert.equal(await rawStatus(d, path), 401, path);
    }
    assert.notEqual(await rawStatus(d, '/vendor/package.json'), 200, 'only uPlot\'s two files are served from node_modules');
    const page = await fetch(`${d.url}/docs`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200, 'a browser\'s /docs is the page, which holds no data');
    assert.ok(page.headers.get('content-type')?.includes('text/html'));
    assert.equal(await rawStatus(d, '/docs/json'), 401, 'the spec itself needs the token');
    const ok = await fetch(`${d.url}/v1/runs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
  });

  it('asks for the token once, keeps it, and shows data, the live stream included', async () => {
    const run = await api(d, 'POST', '/v1/runs', { command: ['train.py'], name: 'secret-run', expectedEpochs: 2 });
    const { page, errors } = await openPage(browser);
    await page.goto(`${d.url}/`);
    await page.waitForSelector('#token-overlay:not([hidden])', WAIT);
    assert.equal(await page.locator('#runs-table tr[data-run]').count(), 0, 'no data before the token');
    await page.fill('#token-input', 'wrong');
    await page.click('#token-form button');
    await page.waitForSelector('#token-error:not([hidden])', WAIT);
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button');
    await page.waitForSelector(`#runs-table tr[data-run="${run.id}"]`, WAIT);
    assert.equal(await page.evaluate(() => localStorage.getItem('train-profiler.token')), TOKEN);

    await page.click(`#runs-table tr[data-run="${run.id}"] a`);
    await page.waitForFunction(() => window.__dash?.page === 'run' && document.getElementById('live')?.hidden === false, null, WAIT);
    assert.equal(await page.isHidden('#token-overlay'), true, 'the kept token is used: no second prompt');
    // Samples arrive over the authenticated fetch() stream (EventSource could not send the header).
    const before = await page.evaluate(() => window.__dash.charts.power?.data[0]?.length ?? 0);
    await page.waitForFunction((n) => (window.__dash.charts.power?.data[0]?.length ?? 0) > n + 3, before, WAIT);
    await api(d, 'POST', `/v1/runs/${run.id}/epochs`, { event: 'start', epoch: 1 });
    await api(d, 'POST', `/v1/runs/${run.id}/epochs`, { event: 'end', epoch: 1 });
    await page.waitForFunction(() => document.querySelector('#stat-epochs .stat-value')?.textContent === '1 / 2', null, WAIT);
    await api(d, 'POST', `/v1/runs/${run.id}/finish`, { exitCode: 0 });
    await page.waitForFunction(() => window.__dash.status === 'succeeded', null, WAIT);
    assert.deepEqual(errors, []);
  });
});
