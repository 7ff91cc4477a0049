import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arcCurve, fluss } from '../../../src/analysis/fluss.js';

interface Fixture {
  name: string;
  L: number;
  n_regimes: number;
  excl_factor: number;
  mp_index: number[];
  arc_curve: number[];
  cac_parabolic_iac: number[];
  regimes_parabolic_iac: number[];
}

const dir = path.resolve('test/fixtures/fluss');
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Fixture);

describe('fluss against stumpy 1.12.0 with the parabolic IAC', () => {
  assert.equal(fixtures.length, 6);
  for (const fx of fixtures) {
    it(fx.name, () => {
      assert.deepEqual(Array.from(arcCurve(fx.mp_index)), fx.arc_curve);
      const { cac, regimes } = fluss(fx.mp_index, fx.L, fx.n_regimes, fx.excl_factor);
      assert.deepEqual(Array.from(cac), fx.cac_parabolic_iac);
      assert.deepEqual(regimes, fx.regimes_parabolic_iac);
    });
  }
});

describe('fluss rules', () => {
  it('counts half-open arcs and treats -1 as a self-arc', () => {
    assert.deepEqual(Array.from(arcCurve([2, -1, 0, 3])), [2, 2, 0, 0]);
  });

  it('sets the first and last L*exclFactor positions to 1 and none when exclFactor is 0', () => {
    const idx = Array.from({ length: 40 }, (_, k) => (k < 20 ? 19 - k : 59 - k));
    const edged = fluss(idx, 2, 2, 3).cac;
    assert.ok(edged.subarray(0, 6).every((v) => v === 1));
    assert.ok(edged.subarray(34).every((v) => v === 1));
    const raw = fluss(idx, 2, 2, 0).cac;
    assert.equal(raw[39], 0, 'the IAC is 0 at the end (replaced by 1e-10) and so is the arc count');
    assert.ok(raw[20]! < 1);
  });

  it('finds regimes in the order found, excluding L*exclFactor around each', () => {
    // Two cuts at 14 and 29 that no arc crosses; one extra arc over the first makes the second one deeper.
    const idx = Array.from({ length: 45 }, (_, k) => (k < 15 ? 14 - k : k < 30 ? 44 - k : 74 - k));
    assert.deepEqual(fluss(idx, 1, 3, 2).regimes, [14, 29]);
    idx[10] = 20;
    const { cac, regimes } = fluss(idx, 1, 3, 2);
    assert.deepEqual(regimes, [29, 14]);
    assert.equal(cac[29], 0);
    assert.deepEqual(fluss(idx, 1, 1, 2).regimes, []);
  });

  it('rejects bad arguments with clear messages', () => {
    assert.throws(() => fluss([1, 0], 0, 2), /L must be an integer >= 1/);
    assert.throws(() => fluss([1, 0], 1, 0), /nRegimes must be an integer >= 1/);
    assert.throws(() => fluss([1, 0], 1, 2, -1), /exclFactor must be an integer >= 0/);
    assert.throws(() => fluss([2, 0], 1, 2), /indices\[0\] = 2 is not -1 or an index below 2/);
    assert.throws(() => fluss([0.5, 0], 1, 2), /indices\[0\] = 0.5/);
    assert.throws(() => fluss([], 1, 2), /empty/);
  });
});
