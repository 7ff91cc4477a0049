import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matrixProfile, type MatrixProfile } from '../../../src/analysis/matrix-profile.js';
import { IncrementalMatrixProfile } from '../../../src/analysis/matrix-profile-incremental.js';
import { randomWalk } from '../../../src/bench/matrix-profile.js';
import { ProfilerError } from '../../../src/errors.js';
import { seeded } from '../epochs/feed-helpers.js';

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

/** Bit-for-bit equality (assert/strict compares with Object.is, so NaN, -0 and +inf must match too). */
function assertExact(got: MatrixProfile, want: MatrixProfile, what: string): void {
  assert.deepEqual(Array.from(got.indices), Array.from(want.indices), `${what}: indices`);
  assert.deepEqual(Array.from(got.distances), Array.from(want.distances), `${what}: distances`);
}

function batch(series: ArrayLike<number | null>, k: number, m: number): MatrixProfile {
  return matrixProfile(Array.from(series).slice(0, k) as number[], m);
}

/** Pushes one value at a time and compares with the batch after every append from 2m values on. */
function checkEveryAppend(series: ArrayLike<number | null>, m: number, what: string): void {
  const inc = new IncrementalMatrixProfile(m);
  for (let k = 0; k < series.length; k++) {
    inc.push(series[k]!);
    assert.equal(inc.length, k + 1);
    assert.equal(inc.windows, Math.max(0, k + 2 - m));
    if (k + 1 >= 2 * m) assertExact(inc.profile(), batch(series, k + 1, m), `${what} at n = ${k + 1}`);
  }
}

/** Mixes single pushes and pushAll chunks of random sizes; compares at every chunk end. */
function checkRandomPrefixes(series: ArrayLike<number>, m: number, seed: number, checks: number, what: string): void {
  const rand = seeded(seed);
  const inc = new IncrementalMatrixProfile(m);
  const arr = Array.from(series);
  let at = 0;
  let done = 0;
  while (at < arr.length) {
    const size = Math.min(arr.length - at, 1 + Math.floor(rand() * ((2 * arr.length) / checks)));
    if (size === 1 || rand() < 0.3) for (let q = 0; q < size; q++) inc.push(arr[at + q]!);
    else inc.pushAll(arr.slice(at, at + size));
    at += size;
    if (at >= 2 * m) {
      assertExact(inc.profile(), batch(arr, at, m), `${what} at n = ${at}`);
      done++;
    }
  }
  assert.ok(done >= checks / 3, `${what}: only ${done} prefixes checked`);
}

function noisyStepRamp(n: number, seed: number): Float64Array {
  const rand = seeded(seed);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const level = k < n / 3 ? 10 : k < (2 * n) / 3 ? 10 + (k - n / 3) * 0.05 : 40;
    out[k] = level + (rand() - 0.5) * 2;
  }
  return out;
}

const MS = [3, 4, 10, 12];

describe('IncrementalMatrixProfile equals the batch matrixProfile exactly', () => {
  for (const m of MS) {
    it(`random walk and noisy step/ramp, m = ${m}, after every append`, () => {
      checkEveryAppend(randomWalk(40 + 10 * m, 100 + m), m, 'random walk');
      checkEveryAppend(noisyStepRamp(150, 200 + m), m, 'step/ramp');
    });
    it(`longer series, m = ${m}, at random prefix lengths (push and pushAll mixed)`, () => {
      checkRandomPrefixes(randomWalk(3000, 300 + m), m, 400 + m, 25, 'random walk 3000');
      checkRandomPrefixes(noisyStepRamp(1200, 500 + m), m, 600 + m, 25, 'step/ramp 1200');
    });
  }

  it('pushAll in fixed chunks of 2, 3 and 4 from the first value (window pairs near the exclusion zone)', () => {
    for (const m of [3, 4, 5, 10]) {
      for (const size of [2, 3, 4]) {
        const s = noisyStepRamp(90, 700 + m);
        const inc = new IncrementalMatrixProfile(m);
        for (let at = 0; at < s.length; at += size) {
          inc.pushAll(s.subarray(at, at + size));
          const n = Math.min(s.length, at + size);
          if (n >= 2 * m) assertExact(inc.profile(), batch(s, n, m), `m = ${m}, chunks of ${size}, n = ${n}`);
        }
      }
    }
  });

  it('gives the same state whether values come one by one or in one pushAll', () => {
    const s = randomWalk(700, 77);
    const a = new IncrementalMatrixProfile(10);
    const b = new IncrementalMatrixProfile(10);
    for (const v of s) a.push(v);
    b.pushAll(s);
    assertExact(a.profile(), b.profile(), 'push vs pushAll');
    assertExact(b.profile(), matrixProfile(s, 10), 'pushAll vs batch');
  });
});

describe('IncrementalMatrixProfile special values', () => {
  it('NaN gaps, null, ±Infinity', () => {
    const s: Array<number | null> = Array.from(randomWalk(160, 11));
    for (let k = 30; k < 37; k++) s[k] = NaN;
    s[70] = null;
    s[90] = Infinity;
    s[91] = -Infinity;
    s[140] = NaN;
    for (const m of [3, 5, 10]) checkEveryAppend(s, m, `gaps m = ${m}`);
  });

  it('constant stretches, including constant-vs-constant ties at equal lags', () => {
    const walk = randomWalk(60, 12);
    const s = [...walk.slice(0, 20), ...new Array<number>(15).fill(3), ...walk.slice(20, 40), ...new Array<number>(15).fill(3),
      ...walk.slice(40), ...new Array<number>(12).fill(-1)];
    for (const m of [3, 4, 6]) checkEveryAppend(s, m, `constants m = ${m}`);
  });

  it('a series that begins with a constant stretch, and one that is constant throughout', () => {
    const s = [...new Array<number>(25).fill(7), ...randomWalk(80, 13)];
    for (const m of [3, 4, 10]) checkEveryAppend(s, m, `constant start m = ${m}`);
    checkEveryAppend(new Array<number>(40).fill(2), 4, 'all constant');
  });

  it('a constant stretch next to a NaN gap and a series of only missing samples', () => {
    const s: Array<number | null> = [...randomWalk(30, 14), ...new Array<number>(10).fill(1), null, null,
      ...new Array<number>(10).fill(1), ...randomWalk(30, 15)];
    checkEveryAppend(s, 4, 'constant + gap');
    checkEveryAppend(new Array<number | null>(24).fill(null), 3, 'all missing');
  });
});

describe('IncrementalMatrixProfile on the stumpy fixtures', () => {
  assert.equal(fixtures.length, 6);
  for (const fx of fixtures) {
    it(fx.name, () => {
      const inc = new IncrementalMatrixProfile(fx.m);
      const rand = seeded(fx.series.length);
      for (let at = 0; at < fx.series.length; ) {
        const size = 1 + Math.floor(rand() * 40);
        inc.pushAll(fx.series.slice(at, at + size) as number[]);
        at = Math.min(fx.series.length, at + size);
        if (at >= 2 * fx.m) assertExact(inc.profile(), batch(fx.series, at, fx.m), `${fx.name} at n = ${at}`);
      }
      const { distances, indices } = inc.profile();
      assert.equal(distances.length, fx.mp.length);
      const nearTie = new Set(fx.mp_index_near_tie_rows);
      for (let k = 0; k < fx.mp.length; k++) {
        const want = fx.mp[k] ?? Infinity;
        if (want === Infinity) assert.equal(distances[k], Infinity, `row ${k} should be +inf`);
        else assert.ok(Math.abs(distances[k]! - want) <= 1e-8, `row ${k}: ${distances[k]} vs ${want}`);
        if (!nearTie.has(k)) assert.equal(indices[k], fx.mp_index[k], `index of row ${k}`);
      }
    });
  }
});

describe('IncrementalMatrixProfile snapshots', () => {
  it('a snapshot keeps the profile of its prefix while both go on growing independently', () => {
    const s = randomWalk(900, 21);
    s.fill(4, 500, 530);
    s[610] = NaN;
    const inc = new IncrementalMatrixProfile(12);
    inc.pushAll(s.subarray(0, 400));
    const snap = inc.snapshot();
    assert.equal(snap.length, 400);
    inc.pushAll(s.subarray(400, 800));
    assertExact(snap.profile(), matrixProfile(s.subarray(0, 400), 12), 'snapshot at 400 after more pushes');
    assertExact(inc.profile(), matrixProfile(s.subarray(0, 800), 12), 'original at 800');
    for (const v of s.subarray(400, 900)) snap.push(v);
    assertExact(snap.profile(), matrixProfile(s, 12), 'snapshot continued to 900');
    assertExact(inc.profile(), matrixProfile(s.subarray(0, 800), 12), 'original untouched by the snapshot');
  });

  it('stays exact past 4096 rows (the queue is flushed per block of rows), and memoryBytes is 62 B per value', () => {
    const s = randomWalk(9000, 3);
    s.fill(1.5, 4000, 4030);
    const inc = new IncrementalMatrixProfile(10);
    inc.pushAll(s.subarray(0, 4990));
    for (const v of s.subarray(4990, 5000)) inc.push(v);
    assertExact(inc.profile(), matrixProfile(s.subarray(0, 5000), 10), 'n = 5000');
    const more = inc.snapshot();
    more.pushAll(s.subarray(5000, 9000));
    for (const v of s.subarray(5000, 5007)) more.push(v);
    assertExact(more.profile(), matrixProfile([...s, ...s.subarray(5000, 5007)], 10), 'n = 9007');
    const bytes = inc.memoryBytes();
    assert.ok(bytes >= 62 * 5000 && bytes <= 2 * 62 * 5000, `${bytes} bytes`);
    assert.equal(inc.snapshot().memoryBytes(), 62 * 5000);
  });
});

describe('IncrementalMatrixProfile input validation', () => {
  const code = (e: unknown): boolean => e instanceof ProfilerError && e.code === 'PROF_ERR_INVALID';
  it('rejects bad windows', () => {
    for (const m of [2, 0, -3, 4.5, Number.NaN, Infinity]) assert.throws(() => new IncrementalMatrixProfile(m), code, String(m));
    assert.throws(() => new IncrementalMatrixProfile('5' as unknown as number), code);
    assert.throws(() => new IncrementalMatrixProfile(2), /at least 3/);
  });

  it('rejects non-numeric values without changing the state', () => {
    const inc = new IncrementalMatrixProfile(3);
    inc.pushAll([1, 2, 5, 3, 4, 9]);
    const before = inc.profile();
    assert.throws(() => inc.push('7' as unknown as number), code);
    assert.throws(() => inc.pushAll([1, 2, '3'] as unknown as number[]), /series\[2\] is string/);
    assert.throws(() => inc.pushAll(null as unknown as number[]), code);
    assert.equal(inc.length, 6);
    assertExact(inc.profile(), before, 'unchanged');
  });

  it('refuses a profile before 2m values, as the batch does', () => {
    const inc = new IncrementalMatrixProfile(5);
    inc.pushAll(randomWalk(9, 1));
    assert.throws(() => inc.profile(), (e: unknown) => code(e) && /too long for 9 samples/.test(String(e)));
    inc.push(0.5);
    assert.equal(inc.profile().distances.length, 6);
  });
});
