import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { deviceRows } from '../../../src/export/rows.js';
import { openRunSet } from '../../../src/runs/open.js';
import type { RunRow } from '../../../src/store/runs.js';

const tmp = mkdtempSync(join(tmpdir(), 'export-edges-'));
const set = openRunSet(loadConfig({ env: { PROFILER_HOME: tmp } }), { path: join(tmp, 'profiler.db') });
after(() => {
  set.close();
  rmSync(tmp, { recursive: true, force: true });
});

const T = 1_800_000_000_000;
const MAX_GAP = 301;
const A = 'GPU-aaaaaaaa-0000-4000-8000-00000000000a';
const B = 'GPU-bbbbbbbb-0000-4000-8000-00000000000b';
const sample = (uuid: string, t: number, powerW: number | null) => ({
  t: T + t, uuid, index: 0, powerW, powerInstantW: null, powerLimitW: 300, utilGpuPct: t / 10, utilMemPct: 40,
  memUsedMiB: 1000, memTotalMiB: 2000, tempC: 50, smClockMHz: null,
});
// A: every 100 ms over [0, 1000] and [2000, 3000], power = t / 10 W; nothing in between (a gap). B: a null power at 400.
for (let t = 0; t <= 3000; t += 100) if (t <= 1000 || t >= 2000) set.samples.addGpu([sample(A, t, t / 10)]);
for (let t = 0; t <= 1000; t += 100) set.samples.addGpu([sample(B, t, t === 400 ? null : 100)]);
set.samples.flush();

function rowsOf(uuid: string, from: number, to: number | null): { t: number; w: number | null; util: number | null }[] {
  const run = set.runs.create({ name: null, command: ['x'], cwd: null, startedAt: T + from, expectedEpochs: null, clientPid: null, sampleMs: 100, meta: {} });
  set.runs.setDevices(run.rid, [set.samples.deviceId(uuid)], 'all');
  if (to !== null) set.runs.update(run.rid, { status: 'succeeded', ended_at: T + to });
  const row = set.runs.byId(run.id) as RunRow;
  const [d] = set.runs.devices(row.rid);
  return [...deviceRows(set.reader, row, d as NonNullable<typeof d>, MAX_GAP)].map((r) => ({ t: r.t - T, w: r.powerW, util: r.utilGpuPct }));
}

test('a run between samples starts and ends with rows interpolated at its edges, values as stored (rounded)', () => {
  const rows = rowsOf(A, 150, 855);
  assert.deepEqual(rows.map((r) => r.t), [150, 200, 300, 400, 500, 600, 700, 800, 855]);
  assert.deepEqual(rows[0], { t: 150, w: 15, util: 15 });
  assert.deepEqual(rows.at(-1), { t: 855, w: 85.5, util: 86 });
});

test('no edge row where a sample lies on the edge, where the energy bridges no pair (a gap, a missing power), or while running', () => {
  assert.deepEqual(rowsOf(A, 200, 800).map((r) => r.t), [200, 300, 400, 500, 600, 700, 800]);
  assert.deepEqual(rowsOf(A, 1500, 2550).map((r) => r.t), [2000, 2100, 2200, 2300, 2400, 2500, 2550], 'the start lies in a gap');
  assert.deepEqual(rowsOf(B, 350, 450).map((r) => [r.t, r.w]), [[400, null]], 'the samples around both edges hold no power');
  const running = rowsOf(A, 2950, null);
  assert.deepEqual(running.map((r) => r.t), [2950, 3000]);
});

test('a run shorter than a sample interval: two interpolated rows, so its energy still comes back', () => {
  assert.deepEqual(rowsOf(A, 120, 180).map((r) => [r.t, r.w]), [[120, 12], [180, 18]]);
});
