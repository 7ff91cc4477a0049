import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeMatrixProfileWorkers,
  matrixProfile,
  matrixProfileParallel,
} from '../../../src/analysis/matrix-profile.js';
import { randomWalk } from '../../../src/bench/matrix-profile.js';

interface Fixture {
  name: string;
  m: number;
  series: Array<number | null>;
  mp: Array<number | null>;
  mp_index: number[];
  mp_index_near_tie_rows: number[];
}

const dir = path.resolve('test/fixtures/fluss');
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Fixture);


function assertSame(a: { distances: Float64Array; indices: Int32Array }, b: typeof a): void {
  assert.deepEqual(Array.from(a.indices), Array.from(b.indices));
  for (let k = 0; k < a.distances.length; k++) assert.ok(Object.is(a.distances[k], b.distances[k]), `row ${k}`);
}

after(() => closeMatrixProfileWorkers());

describe('matrixProfile against stumpy 1.12.0 reference vectors', () => {
  assert.equal(fixtures.length, 6);
  for (const fx of fixtures) {
    it(fx.name, () => {
      const { distances, indices } = matrixProfile(fx.series as number[], fx.m);
      assert.equal(distances.length, fx.mp.length);
      const nearTie = new Set(fx.mp_index_near_tie_rows);
      for (let k = 0; k < fx.mp.length; k++) {
        const want = fx.mp[k] ?? Infinity;
        const got = distances[k]!;
        if (want === Infinity) assert.equal(got, Infinity, `row ${k} should be +inf`);
        else assert.ok(Math.abs(got - want) <= 1e-8, `row ${k}: ${got} vs ${want}`);
        if (!nearTie.has(k)) assert.equal(indices[k], fx.mp_index[k], `index of row ${k}`);
      }
    });
  }

  it('reproduces the example in stumpy.stump documentation', () => {
    const { distances, indices } = matrixProfile([584, -11, 23, 79, 1001, 0, -19], 3);
    const want = [0.11633857113691416, 2.694073918063438, 3.0000926340485923, 2.694073918063438, 0.11633857113691416];
    want.forEach((d, k) => assert.ok(Math.abs(distances[k]! - d) <= 1e-12, `row ${k}`));
    assert.deepEqual(Array.from(indices), [4, 3, 0, 1, 0]);
  });
});

describe('matrixProfile special windows', () => {
  it('puts constant windows at 0 from each other and sqrt(m) from the rest, nearest first', () => {
    const series = [...randomWalk(30, 7), ...new Array<number>(20).fill(5), ...randomWalk(30, 8)];
    const m = 6;
    const { distances, indices } = matrixProfile(series, m);
    // Windows 30..44 are constant: the nearest other constant window beyond the exclusion zone (2) is at lag 3.
    for (let k = 30; k <= 44; k++) {
      assert.equal(distances[k], 0);
      assert.equal(Math.abs(indices[k]! - k), 3);
    }
    assert.equal(indices[33], 30, 'equal lags keep the left neighbour');
  });

  it('gives +inf and -1 to windows holding NaN, null or infinity', () => {
    const series: Array<number | null> = Array.from(randomWalk(60, 3));
    series[20] = null;
    series[40] = Infinity;
    const { distances, indices } = matrixProfile(series as number[], 5);
    for (const k of [16, 20, 36, 40]) {
      assert.equal(distances[k], Infinity);
      assert.equal(indices[k], -1);
    }
    assert.ok(Number.isFinite(distances[0]!));
    assert.ok(indices.every((j) => j < 16 || j > 20), 'no row points at a window holding NaN');
  });
});

describe('matrixProfile input validation', () => {
  const s = randomWalk(40, 1);
  it('rejects bad windows with a clear message', () => {
    assert.throws(() => matrixProfile(s, 2), /at least 3/);
    assert.throws(() => matrixProfile(s, 4.5), /integer/);
    assert.throws(() => matrixProfile(s, 21), /too long for 40 samples \(at most 20\)/);
    assert.throws(() => matrixProfile(s, Number.NaN), /integer/);
  });
  it('rejects non-numeric series', () => {
    assert.throws(() => matrixProfile(['1', 2, 3, 4, 5, 6, 7] as unknown as number[], 3), /series\[0\] is string/);
    assert.throws(() => matrixProfile(null as unknown as number[], 3), /array of numbers/);
  });
  it('rejects bad thread counts', async () => {
    await assert.rejects(matrixProfileParallel(s, 5, { threads: 0 }), /threads must be a positive integer/);
  });
});

describe('matrixProfileParallel', () => {
  it('equals the synchronous result bit for bit, whatever the thread count', async () => {
    const series = randomWalk(3000, 42);
    series[1500] = Number.NaN;
    series.fill(2.5, 2000, 2040);
    const sync = matrixProfile(series, 12);
    for (const threads of [1, 2, 3]) assertSame(await matrixProfileParallel(series, 12, { threads }), sync);
  });

  it('equals the fixtures’ synchronous results', async () => {
    for (const fx of fixtures) {
      assertSame(await matrixProfileParallel(fx.series as number[], fx.m, { threads: 2 }), matrixProfile(fx.series as number[], fx.m));
    }
  });

  it('handles more threads than diagonals', async () => {
    const series = randomWalk(12, 5);
    assertSame(await matrixProfileParallel(series, 6, { threads: 16 }), matrixProfile(series, 6));
  });
});
