import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, runCli, showJson, testHome, type TestHome } from '../helpers/cli.js';

// The README's demo, as shipped: 12 epochs of 3 s, sampled at the default 200 ms. Its fake power settles ~12 s in.
describe('the shipped demo is decided by FLUSS', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome({ PROFILER_SAMPLE_MS: '200' });
  });
  after(async () => h.cleanup());

  it('stable from epoch 4 ± 1 (fluss), with a banded projection in the summary', async () => {
    const r = await runCli(['run', '--', 'python3', DEMO], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const run = await showJson(h.env);
    assert.equal(run.stabilization.method, 'fluss', run.stabilization.reason);
    assert.ok(Math.abs(run.stabilization.epoch - 4) <= 1, `epoch ${run.stabilization.epoch}: ${run.stabilization.reason}`);
    assert.match(r.stderr, /stable from epoch \d+ \(fluss\); projected at the window end: epoch-energy .* \(95 %: .*\), power-based/);
    assert.ok(run.projection.bands.epochEnergyBasedJ[0] <= run.projection.epochEnergyBasedJ);
    // A 12-epoch run stable from epoch ~4 has its whole 5-epoch window: not provisional.
    assert.equal(run.projection.provisional, run.stabilization.epoch + 5 > 12);
  });
});
