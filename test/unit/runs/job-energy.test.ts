import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipSpans, deviceSpans, gpuEnergyWithin, jobProjection, mergeSpans } from '../../../src/runs/job-energy.js';
import type { RunRow } from '../../../src/store/runs.js';

test('spans merge where they overlap or touch and clip to a window', () => {
  assert.deepEqual(mergeSpans([[50, 60], [0, 10], [5, 20], [20, 30], [40, 40]]), [[0, 30], [50, 60]]);
  assert.deepEqual(clipSpans([[0, 30], [50, 60]], 25, 55), [[25, 30], [50, 55]]);
  assert.deepEqual(clipSpans([[0, 30]], 30, 40), []);
});

/** A constant 100 W on every device, one sample per 100 ms. */
const samples = {
  reads: 0,
  eachGpuPower(_dev: number, from: number, to: number, sink: (t: number, w: number) => void): void {
    this.reads++;
    for (let t = Math.floor(from / 100) * 100; t <= to + 100; t += 100) sink(t, 100);
  },
};

const row = (rid: number, started: number, ended: number | null): RunRow =>
  ({ rid, started_at: started, ended_at: ended, sample_ms: 100 }) as unknown as RunRow;

test('a GPU two runs of a job share is integrated once over the union of their intervals', () => {
  // Runs 1 and 2 overlap on GPU 7 for 5 s; run 3 alone uses GPU 8; run 2 is still open (until 20 s).
  const devs: Record<number, { id: number }[]> = { 1: [{ id: 7 }], 2: [{ id: 7 }], 3: [{ id: 8 }] };
  const runs = [row(1, 0, 10_000), row(2, 5_000, null), row(3, 0, 4_000)];
  const spans = deviceSpans(runs, { devices: (rid: number) => devs[rid] as never }, 20_000);
  assert.deepEqual([...spans], [[7, [[0, 20_000]]], [8, [[0, 4_000]]]]);
  const j = gpuEnergyWithin(samples, spans, 0, 20_000, 301);
  assert.ok(Math.abs(j - 100 * (20 + 4)) < 1e-6, `${j} J: GPU 7 for 20 s, GPU 8 for 4 s, at 100 W`);
  // Summing the runs would say 100 × (10 + 15 + 4) J: the shared 5 s would count twice.
  const half = gpuEnergyWithin(samples, spans, 0, 10_000, 301) + gpuEnergyWithin(samples, spans, 10_000, 20_000, 301);
  assert.ok(Math.abs(half - j) < 1e-6, 'integrating in two stretches gives the same energy');
});

test('a job projection sums its runs (finished ones at their energy) less what they counted twice', () => {
  const proj = (p: number, e: number | null) => ({ powerBasedJ: p, epochEnergyBasedJ: e, windowEpochs: 5, stableFromEpoch: 1,
    provisional: false, powerBased: null, epochEnergyBased: null, bands: null });
  const parts = [{ running: true, totalJ: 400, projection: proj(1000, 900) }, { running: false, totalJ: 300, projection: proj(5, 5) }];
  assert.deepEqual(jobProjection(parts, 600), { powerBasedJ: 1000 + 300 - 100, epochEnergyBasedJ: 900 + 300 - 100 });
  const unknown = jobProjection([...parts, { running: true, totalJ: 10, projection: proj(50, null) }], 710);
  assert.equal(unknown.epochEnergyBasedJ, null, 'a running run without that projection leaves it unknown');
  assert.equal(unknown.powerBasedJ, 1000 + 300 + 50);
  assert.deepEqual(jobProjection([], 0), { powerBasedJ: null, epochEnergyBasedJ: null });
});
