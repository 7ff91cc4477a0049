import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launchBrowser } from '../helpers/browser.js';

describe('the browser the dashboard tests drive', () => {
  it('a missing Chromium fails with the command that installs it (the tests never skip)', async () => {
    await assert.rejects(launchBrowser('/nonexistent/chromium'), /Chromium at \/nonexistent\/chromium: install it with `apt-get install chromium`/);
  });

  it('the installed Chromium starts headless and runs a page script', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      assert.equal(await page.evaluate(() => 6 * 7), 42);
    } finally {
      await browser.close();
    }
  });
});
