import { it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../../src/store/db.js';
import { bucketWidth, SampleReader } from '../../../src/store/sample-queries.js';

function dbWith(rows: [number, number, number | null][]) {
  const db = openDatabase(':memory:');
  db.prepare("INSERT INTO devices (id, uuid, updated_at) VALUES (1, 'GPU-a', 0), (2, 'GPU-b', 0)").run();
  const ins = db.prepare('INSERT INTO gpu_samples (dev, t, power_cw) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (const r of rows) ins.run(...r);
  })();
  return db;
}

it('buckets hold min, mean and max of the samples inside them, per device', () => {
  const rows: [number, number, number | null][] = [];
  for (let t = 0; t < 1000; t += 100) rows.push([1, 10_000 + t, (t / 100) * 1000], [2, 10_000 + t, 5000]);
  rows.push([1, 10_050, null]);
  const db = dbWith(rows);
  const pts = new SampleReader(db).downsampleGpuPower(1, 10_000, 10_999, bucketWidth(10_000, 10_999, 4));
  assert.equal(bucketWidth(10_000, 10_999, 4), 250);
  // Naive recomputation: samples at t = 0..900 step 100, power t/10 W (null not counted).
  const naive = [0, 1, 2, 3].map((b) => {
    const w = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900].filter((t) => Math.floor(t / 250) === b).map((t) => t / 10);
    return { t: 10_000 + b * 250, n: w.length, meanW: w.reduce((a, x) => a + x, 0) / w.length, minW: Math.min(...w), maxW: Math.max(...w) };
  });
  assert.deepEqual(pts, naive);
  assert.deepEqual(new SampleReader(db).downsampleGpuPower(2, 10_000, 10_999, 250).map((p) => p.meanW), [50, 50, 50, 50]);
  assert.deepEqual(new SampleReader(db).downsampleGpuPower(1, 20_000, 30_000, 100), [], 'no samples, no points');
  db.close();
});

it('a day of 100 ms samples comes back in at most maxPoints points that account for every sample', () => {
  const day = 86_400_000;
  const db = openDatabase(':memory:');
  db.prepare("INSERT INTO devices (id, uuid, updated_at) VALUES (1, 'GPU-a', 0)").run();
  const ins = db.prepare('INSERT INTO gpu_samples (dev, t, power_cw) VALUES (1, ?, ?)');
  db.transaction(() => {
    for (let t = 0; t < day; t += 100) ins.run(t, 20_000 + (t % 7) * 100);
  })();
  for (const maxPoints of [1, 7, 1000, 5000]) {
    const pts = new SampleReader(db).downsampleGpuPower(1, 0, day - 1, bucketWidth(0, day - 1, maxPoints));
    assert.ok(pts.length <= maxPoints, `${pts.length} > ${maxPoints}`);
    assert.equal(pts.reduce((a, p) => a + p.n, 0), day / 100);
    assert.ok(pts.every((p) => (p.minW as number) >= 200 && (p.maxW as number) <= 206));
  }
  db.close();
});
