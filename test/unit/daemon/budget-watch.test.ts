import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { ProjectionJson } from '../../../src/analysis/estimators/index.js';
import { BudgetWatch } from '../../../src/daemon/budget-watch.js';
import type { RunEvent } from '../../../src/runs/lifecycle.js';
import type { MeteredEnergy } from '../../../src/runs/metered.js';
import type { RunBudget } from '../../../src/store/run-data.js';
import type { RunRow, RunStore } from '../../../src/store/runs.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

/** One running run in a stub store; the metered energy and the analysis are set by the test. */
function harness(budget: RunBudget | null) {
  let row = { rid: 1, id: 'r1', status: 'running', budget, analysis: null } as unknown as RunRow;
  const events: { kind: string; t: number }[] = [];
  const emitted: RunEvent[] = [];
  const store = {
    list: () => [row],
    runningIds: () => (row.status === 'running' ? [row.id] : []),
    byId: (id: string) => (id === row.id ? row : undefined),
    update: (_rid: number, f: Partial<RunRow>) => (row = { ...row, ...f }),
    addEvent: (_rid: number, kind: string, _d: object, t: number) => events.push({ kind, t }),
  } as unknown as RunStore;
  let measured = 0;
  const metered = { run: () => ({ until: 0, gpuJ: measured, ramJ: 0, cpuJ: null }) } as unknown as MeteredEnergy;
  const clock = new FakeScheduler();
  const watch = new BudgetWatch(store, metered, (_r, e) => emitted.push(e), clock, clock, pino({ level: 'silent' }), 1000);
  return {
    watch, clock, events, emitted,
    get row() { return row; },
    setMeasured: (j: number) => (measured = j),
    setAnalysis: (a: RunRow['analysis']) => (row = { ...row, analysis: a }),
  };
}

const budget = (limitJ: number): RunBudget => ({ limitJ, action: 'stop', exceeded: false, at: null, reason: null });
const projection = (lo: number): ProjectionJson => ({ powerBasedJ: lo + 100, epochEnergyBasedJ: lo + 50, windowEpochs: 5, stableFromEpoch: 3,
  provisional: false, powerBased: null, epochEnergyBased: null, bands: { powerBasedJ: null, epochEnergyBasedJ: [lo, lo + 100] } });

test('BudgetWatch: the measured energy is checked on its interval; the first crossing is recorded and emitted once', async () => {
  const h = harness(budget(500));
  h.setMeasured(400);
  await h.clock.advance(3000);
  assert.equal(h.emitted.length, 0);
  h.setMeasured(600);
  const at = h.clock.now() + 1000;
  await h.clock.advance(1000);
  assert.equal(h.emitted.length, 1);
  assert.equal(h.emitted[0]!.kind, 'budget');
  assert.equal(h.row.budget?.exceeded, true);
  assert.equal(h.row.budget?.at, at);
  assert.match(h.row.budget?.reason ?? '', /measured 600 J is above the budget of 500 J/);
  await h.clock.advance(5000);
  assert.equal(h.emitted.length, 1, 'once');
  assert.deepEqual(h.events.map((e) => e.kind), ['budget']);
  h.watch.close();
  assert.equal(h.clock.pending, 0);
});

test('BudgetWatch: a new projection settles it at once when trusted and above the limit, not before', async () => {
  const h = harness(budget(1000));
  h.setMeasured(10);
  h.setAnalysis({ stabilization: { confident: false } as never, projection: projection(1200) });
  h.watch.onRun(h.row, { kind: 'projection', data: { projection: projection(1200) } });
  assert.equal(h.emitted.length, 0, 'the stabilizing epoch is not settled yet');
  h.setAnalysis({ stabilization: { confident: true } as never, projection: projection(900) });
  h.watch.onRun(h.row, { kind: 'projection', data: { projection: projection(900) } });
  assert.equal(h.emitted.length, 0, 'the band reaches below the budget');
  h.setAnalysis({ stabilization: { confident: true } as never, projection: projection(1200) });
  h.watch.onRun(h.row, { kind: 'projection', data: { projection: projection(1200) } });
  assert.equal(h.emitted.length, 1, 'without waiting for the interval');
  assert.match(h.row.budget?.reason ?? '', /^projected .* \(epoch-energy; 95 % band from 1\.20 kJ\) is above the budget of 1\.00 kJ$/);
  h.watch.close();
});

test('BudgetWatch: runs without a budget, or finished ones, are left alone', async () => {
  const h = harness(null);
  h.setMeasured(1e9);
  await h.clock.advance(5000);
  assert.equal(h.emitted.length, 0);
  const g = harness(budget(1));
  g.setMeasured(1e9);
  g.setAnalysis(null);
  (g.row as { status: string }).status = 'succeeded';
  await g.clock.advance(5000);
  assert.equal(g.emitted.length, 0);
  h.watch.close();
  g.watch.close();
});
