/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startDaemon, type TestDaemon } from '../integration/api-daemon.js';
import { launchBrowser, openPage, screenshot, WAIT } from '../helpers/browser.js';
import { DEMO, startCli, waitFor, type CliResult } from '../helpers/cli.js';

const EPOCHS = 12;

/** `profiler run` of the demo training script against the in-process daemon (its port and home). */
function demoRun(d: TestDaemon, name: string, epochs: number, epochS: number): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, PROFILER_HOME: d.home, PROFILER_PORT: new URL(d.url).port };
  delete env.CUDA_VISIBLE_DEVICES;
  return startCli(['run', '--quiet', '--name', name, '--', 'python3', DEMO, '--epochs', String(epochs), '--epoch-seconds', String(epochS)], { env }).done;
}

async function runs(d: TestDaemon, query = ''): Promise<{ id: string; name: string; status: string }[]> {
  const res = await fetch(`${d.url}/v1/runs${query}`);
  assert.equal(res.status, 200);
  return res.json();
}

const epochsShown = (page: Page): Promise<number> =>
  page.evaluate(() => Number(document.querySelector('#stat-epochs .stat-value')?.textContent?.split('/')[0]));

describe('dashboard in headless Chromium', () => {
  let d: TestDaemon;
  let browser: Browser;
  let liveId = '';
  before(async () => {
    // A fixed stabilizing epoch 3 and a 3-epoch window: a 12-epoch demo run gets a stabilization point and a banded projection.
    const home = mkdtempSync(join(tmpdir(), 'profiler-web-'));
    writeFileSync(join(home, 'config.json'), JSON.stringify({ stabilization: { gridMs: 100, fixedEpoch: 3, windowEpochs: 3 } }));
    d = await startDaemon({ PROFILER_HOME: home });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await d?.close();
  });

  it('follows a live run: the epoch count rises, the power chart gets points, projections are recorded, then the final state', async () => {
    const done = demoRun(d, 'live-demo', EPOCHS, 1);
    await waitFor(async () => (await runs(d, '?status=running')).length > 0, 60_000, 'the run to register');
    const { page, errors } = await openPage(browser);
    await page.goto(`${d.url}/`);
    liveId = String(await page.waitForFunction(() => document.querySelector('#runs-table tr[data-status="running"]')?.getAttribute('data-run'), null, WAIT)
      .then((h) => h.jsonValue()));
    await page.click(`#runs-table tr[data-run="${liveId}"] a`);
    await page.waitForFunction(() => window.__dash?.page === 'run' && document.getElementById('live')?.hidden === false, null, WAIT);
    await page.waitForFunction(() => Number(document.querySelector('#stat-epochs .stat-value')?.textContent?.split('/')[0]) >= 1, null, WAIT);
    const first = await epochsShown(page);
    const points = await page.evaluate(() => window.__dash.charts.power?.data[0]?.length ?? 0);
    await page.waitForFunction(({ first, points }) =>
      Number(document.querySelector('#stat-epochs .stat-value')?.textContent?.split('/')[0]) > first &&
      (window.__dash.charts.power?.data[0]?.length ?? 0) > points, { first, points }, WAIT);
    assert.match((await page.textContent('#stat-epochs .stat-value')) ?? '', new RegExp(`/ ${EPOCHS}$`), 'expected epochs from the Keras line');
    // The projection events of the stream are recorded: the chart gets one point per event, a band shows up.
    await page.waitForFunction(() => (window.__dash.projections ?? 0) >= 2, null, WAIT);
    await page.waitForFunction(() => /95 %: -?[\d.]+ (J|kJ|MJ) – [\d.]+ (J|kJ|MJ)/.test(document.getElementById('projection-band')?.textContent ?? ''), null, WAIT);
    assert.equal((await done).code, 0);
    await page.waitForFunction(() => window.__dash.status === 'succeeded' && document.getElementById('live')?.hidden === true, null, WAIT);
    await page.waitForFunction((n) => window.__dash.epochMarkers === n, EPOCHS, WAIT);
    assert.equal(await epochsShown(page), EPOCHS);
    assert.deepEqual(errors, []);
  });

  it('draws a finished run: power per GPU, epoch markers, the stabilization point, the final projection band, per-epoch energy', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${d.url}/runs/${liveId}`);
    await page.waitForFunction(() => window.__dash?.ready === true, null, WAIT);
    const seen = await page.evaluate(() => {
      const c = window.__dash.charts;
      return { power: c.power?.data[0]?.length ?? 0, series: c.power?.series.length ?? 0, proj: c.projection?.data[0]?.length ?? 0,
        epochs: c.epochs?.data[0]?.length ?? 0, markers: window.__dash.epochMarkers, stable: window.__dash.stable,
        live: document.getElementById('live')?.hidden };
    });
    assert.ok(seen.power > 20, `power points: ${seen.power}`);
    assert.equal(seen.series, 1 + 2, 'x and one series per fake GPU');
    assert.equal(seen.markers, EPOCHS);
    assert.equal(seen.stable, true);
    assert.equal(seen.proj, 2, 'the final projection, from the stabilization point to the end');
    assert.equal(seen.epochs, EPOCHS);
    assert.equal(seen.live, true, 'a finished run is not followed');
    assert.equal(await page.locator('#epochs-table tbody tr').count(), EPOCHS);
    assert.match((await page.textContent('#stat-energy .stat-value')) ?? '', /^\d+(\.\d+)? (J|kJ|MJ)$/);
    assert.match((await page.textContent('#stat-energy .stat-sub')) ?? '', /^[\d.e-]+ kWh$/);
    assert.match((await page.textContent('#projection-band')) ?? '', /^95 %: -?[\d.]+ (J|kJ|MJ) – [\d.]+ (J|kJ|MJ) · epoch-energy$/);
    assert.match((await page.textContent('#stat-stable .stat-value')) ?? '', /^epoch \d+$/);
    await screenshot(page, 'dashboard-run-short'); // the README's picture comes from scripts/screenshot-demo.mjs
    assert.deepEqual(errors, []);
  });

  it('lists runs with filters by status and name, and compares two runs', async () => {
    assert.equal((await demoRun(d, 'second', 3, 0.4)).code, 0);
    const { page, errors } = await openPage(browser);
    await page.goto(`${d.url}/`);
    const rows = page.locator('#runs-table tbody tr[data-run]');
    await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-run]').length === 2, null, WAIT);
    assert.match((await rows.nth(0).locator('.energy').textContent()) ?? '', /(J|kJ|MJ) · [\d.e-]+ kWh$/);
    await screenshot(page, 'dashboard-list');
    await page.fill('#filter-name', 'secon');
    await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-run]').length === 1, null, WAIT);
    assert.match((await rows.nth(0).textContent()) ?? '', /second/);
    await page.fill('#filter-name', '');
    await page.selectOption('#filter-status', 'running');
    await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-run]').length === 0 && /0 of 0/.test(document.getElementById('runs-count')?.textContent ?? ''), null, WAIT);
    await page.selectOption('#filter-status', 'succeeded');
    await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr[data-status="succeeded"]').length === 2, null, WAIT);
    await rows.nth(0).locator('input[type=checkbox]').check();
    await rows.nth(1).locator('input[type=checkbox]').check();
    await page.click('#compare');
    await page.waitForFunction(() => window.__dash?.page === 'compare' && window.__dash.ready, null, WAIT);
    assert.match(page.url(), /\/compare\?runs=[^,]+,[^,]+$/);
    assert.equal(await page.locator('#compare-table tbody tr').count(), 2);
    const c = await page.evaluate(() => ({
      series: window.__dash.charts.power?.series.length, points: window.__dash.charts.power?.data[0]?.length ?? 0,
      epochs: window.__dash.charts.epochs?.data[0]?.length, second: window.__dash.charts.epochs?.data[1]?.filter((v) => v !== null).length,
    }));
    assert.equal(c.series, 3, 'x and one power profile per run');
    assert.ok(c.points > 10, `compare power points: ${c.points}`);
    assert.equal(c.epochs, EPOCHS, 'epochs 1..EPOCHS on the x axis');
    assert.equal(c.second, 3, 'the newest run (first row) has 3 epochs');
    await screenshot(page, 'dashboard-compare');
    assert.deepEqual(errors, []);
  });

  it('names an unknown run, and a compare of fewer than two runs, in one line on the page', async () => {
    const { page } = await openPage(browser);
    await page.goto(`${d.url}/runs/zzzz`);
    await page.waitForFunction(() => window.__dash?.ready === true, null, WAIT);
    assert.equal(await page.textContent('#page-error'), 'no run matches "zzzz"');
    await page.goto(`${d.url}/compare?runs=${liveId}`);
    await page.waitForFunction(() => window.__dash?.ready === true, null, WAIT);
    assert.match((await page.textContent('#page-error')) ?? '', /^Compare needs two or more runs/);
  });

  it('/docs in a browser lists the API\'s routes from the OpenAPI spec; tools still get the JSON', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${d.url}/docs`);
    await page.waitForFunction(() => window.__dash?.ready === true, null, WAIT);
    const routes = await page.evaluate(() => Array.from(document.querySelectorAll('#routes tbody tr')).map((r) => (r as HTMLElement).dataset.route));
    assert.ok(routes.length >= 15, `${routes.length} routes`);
    for (const r of ['POST /v1/runs', 'GET /v1/runs/{id}/events', 'GET /metrics']) assert.ok(routes.includes(r), `${r} in ${routes.join(', ')}`);
    const json = await fetch(`${d.url}/docs`);
    assert.equal((await json.json()).openapi?.slice(0, 2), '3.');
    assert.deepEqual(errors, []);
  });

  it('follows the colour scheme the system asks for', async () => {
    const bg = async (scheme: 'light' | 'dark'): Promise<string> => {
      const { page } = await openPage(browser, { colorScheme: scheme });
      await page.goto(`${d.url}/runs/${liveId}`);
      await page.waitForFunction(() => window.__dash?.ready === true, null, WAIT);
      if (scheme === 'dark') await screenshot(page, 'dashboard-run-dark');
      return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    };
    const [light, dark] = [await bg('light'), await bg('dark')];
    assert.equal(light, 'rgb(247, 247, 249)');
    assert.equal(dark, 'rgb(18, 20, 23)');
  });

  it('shows a run\'s budget: the limit, exceeded with the daemon\'s reason, and its line on the projection chart', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PROFILER_HOME: d.home, PROFILER_PORT: new URL(d.url).port };
    delete env.CUDA_VISIBLE_DEVICES;
    const r = await startCli(['run', '--quiet', '--name', 'budgeted', '--budget', '20J', '--', 'python3', DEMO, '--epochs', '4', '--epoch-seconds', '0.5'], { env }).done;
    assert.equal(r.code, 0, r.stderr);
    const id = (await runs(d)).find((x) => x.name === 'budgeted')?.id;
    assert.ok(id);
    const { page, errors } = await openPage(browser);
    await page.goto(`${d.url}/runs/${id}`);
    await page.waitForFunction(() => window.__dash?.ready === true, null, WAIT);
    assert.equal(await page.textContent('#stat-budget .stat-value'), '20.0 J');
    assert.match((await page.textContent('#stat-budget .stat-sub')) ?? '', /^exceeded · warn$/);
    assert.match((await page.getAttribute('#stat-budget', 'title')) ?? '', /measured .* is above the budget of 20\.0 J/);
    assert.equal(await page.evaluate(() => document.getElementById('stat-budget')?.classList.contains('over')), true);
    const line = await page.evaluate(() => {
      const c = window.__dash.charts.projection;
      return { label: c?.series[6]?.label, values: c?.data[6] ?? [] };
    });
    assert.equal(line.label, 'budget');
    assert.ok(line.values.length > 0 && line.values.every((v: number | null) => v === 20), JSON.stringify(line.values));
    assert.deepEqual(errors, []);
  });
});
