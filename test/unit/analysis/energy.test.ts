import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { integrate } from '../../../src/analysis/energy.js';

const series = (pts: [number, number][]) => ({ t: pts.map((p) => p[0]), w: pts.map((p) => p[1]) });

describe('integrate (trapezoid split at cuts)', () => {
  it('integrates a constant exactly (J = W × s)', () => {
    const r = integrate(series([[0, 100], [1000, 100], [2000, 100]]), [0, 2000], 5000);
    assert.equal(r.parts[0], 200);
    assert.deepEqual(r.gaps, []);
  });

  it('integrates a linear ramp exactly and splits it exactly at an interpolated cut', () => {
    const r = integrate(series([[0, 0], [1000, 100]]), [0, 250, 1000], 5000);
    assert.ok(Math.abs((r.parts[0] as number) - 3.125) < 1e-12); // ∫0..0.25 s of 100 t = 3.125 J
    assert.ok(Math.abs((r.parts[1] as number) - 46.875) < 1e-12);
    assert.ok(Math.abs((r.parts[0] as number) + (r.parts[1] as number) - 50) < 1e-12);
  });

  it('uses samples either side of the span to interpolate at its edges', () => {
    const r = integrate(series([[-500, 100], [500, 200]]), [0, 500], 5000);
    // power at 0 is 150 W; trapezoid 0..0.5 s from 150 to 200 W = 87.5 J
    assert.ok(Math.abs((r.parts[0] as number) - 87.5) < 1e-12);
  });

  it('does not bridge gaps longer than maxGap, nor missing values, and reports them', () => {
    const r = integrate(series([[0, 100], [100, 100], [1000, 100], [1100, Number.NaN], [1200, 100], [1300, 100]]), [0, 1300], 300);
    assert.ok(Math.abs((r.parts[0] as number) - 20) < 1e-9); // 0–100 and 1200–1300 only
    assert.deepEqual(r.gaps, [{ from: 100, to: 1200 }]);
  });

  it('reports a gap at the start when the first sample comes late, and at the end when samples stop', () => {
    const r = integrate(series([[300, 50], [400, 50]]), [0, 1000], 500);
    assert.deepEqual(r.gaps, [{ from: 0, to: 300 }, { from: 400, to: 1000 }]);
    assert.equal(r.coveredMs[0], 100);
  });

  it('parts always sum to the whole, whatever the cuts', () => {
    const pts: [number, number][] = [];
    for (let t = 0; t <= 10_000; t += 137) pts.push([t, 100 + 50 * Math.sin(t / 700)]);
    const whole = integrate(series(pts), [0, 10_000], 1000).parts[0] as number;
    const cuts = [0, 1, 999, 1000, 4321, 4322, 9999, 10_000];
    const split = integrate(series(pts), cuts, 1000).parts.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(whole - split) < 1e-9 * whole);
  });

  it('handles empty series and a single cut', () => {
    assert.deepEqual(integrate(series([]), [0, 10], 5).parts, [0]);
    assert.deepEqual(integrate(series([[0, 1]]), [5], 5).parts, []);
  });
});
