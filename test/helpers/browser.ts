/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './cli.js';

/** What the dashboard exposes for tests (src/web/main.js): the page, its uPlot charts and a few counts. */
export interface Dash {
  page: 'list' | 'run' | 'compare' | null;
  ready: boolean;
  charts: Record<string, { data: (number | null)[][]; series: { label?: string }[] } | undefined>;
  status?: string;
  epochMarkers?: number;
  stable?: boolean;
  projections?: number;
  runs?: number;
}

declare global {
  interface Window {
    __dash: Dash;
  }
}

export const CHROMIUM = process.env.PROFILER_CHROMIUM ?? '/usr/bin/chromium';

/** Debian's headless Chromium; a missing browser fails the test with the command that installs it (never a skip). */
export async function launchBrowser(executablePath = CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(`the dashboard tests need Chromium at ${executablePath}: install it with \`apt-get install chromium\` ` +
      '(or point PROFILER_CHROMIUM at a Chromium binary)');
  }
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A page that fails the test on any script error it reports (a broken module would otherwise show only a blank page). */
export async function openPage(browser: Browser, opts: { colorScheme?: 'light' | 'dark' } = {}): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: opts.colorScheme ?? 'light' });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/401|Unauthorized/.test(m.text())) errors.push(m.text());
  });
  return { page, errors };
}

/** Generous: a loaded 2-core machine runs the daemon, the training script and Chromium at once. */
export const WAIT = { timeout: 60_000, polling: 100 } as const;

/**
 * Writes docs/NAME.png when PROFILER_SCREENSHOTS=1 (`PROFILER_SCREENSHOTS=1 node --test .test-build/test/browser/`);
 * the committed screenshots come from there.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.PROFILER_SCREENSHOTS !== '1') return;
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs', `${name}.png`), fullPage: true });
}
