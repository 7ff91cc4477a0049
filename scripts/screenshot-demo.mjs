#!/usr/bin/env node
// docs/dashboard-run.png from the README's own demo (12 × 3-s epochs on the fake GPUs, default settings, decided by
// FLUSS): `npm run build && node scripts/screenshot-demo.mjs`. Needs Chromium (PROFILER_CHROMIUM, default /usr/bin/chromium).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const port = await new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
const home = mkdtempSync(path.join(tmpdir(), 'profiler-shot-'));
const env = { ...process.env, PROFILER_HOME: home, PROFILER_PORT: String(port), PROFILER_NVIDIA_SMI: path.join(root, 'scripts/fake-nvidia-smi') };
delete env.CUDA_VISIBLE_DEVICES;
const cli = (...args) => execFileSync(process.execPath, [path.join(root, 'dist/cli/index.js'), ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
try {
  cli('run', '--quiet', '--name', 'demo', '--', 'python3', path.join(root, 'scripts/demo-train.py'));
  const id = JSON.parse(cli('show', 'last', '--json')).id;
  const browser = await chromium.launch({ executablePath: process.env.PROFILER_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' })).newPage();
  await page.goto(`http://127.0.0.1:${port}/runs/${id}`);
  await page.waitForFunction(() => window.__dash?.ready === true, null, { timeout: 60_000 });
  await page.screenshot({ path: path.join(root, 'docs/dashboard-run.png'), fullPage: true });
  await browser.close();
  console.log(`docs/dashboard-run.png: run ${id}`);
} finally {
  try {
    cli('daemon', 'stop');
  } catch {
    // no daemon left to stop
  }
  rmSync(home, { recursive: true, force: true });
}
