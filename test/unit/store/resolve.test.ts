import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../../src/store/db.js';
import { RunStore } from '../../../src/store/runs.js';
import { ProfilerError } from '../../../src/errors.js';

const code = (c: string, status: number) => (e: unknown): boolean => e instanceof ProfilerError && e.code === c && e.status === status;

describe('a run reference', () => {
  const runs = new RunStore(openDatabase(':memory:'));
  const make = (startedAt: number, id: string) => runs.create({ name: null, command: ['x'], cwd: null, startedAt, expectedEpochs: null,
    clientPid: null, sampleMs: 200, meta: {}, status: 'imported' }, id);

  it('"last" is the most recently recorded run, even an import of an older log (CONTRACT.md)', () => {
    assert.throws(() => runs.resolve('last'), code('PROF_ERR_NOT_FOUND', 404));
    make(2_000_000_000_000, 'newstart00001');
    make(1_600_000_000_000, 'oldimport0002');
    assert.equal(runs.resolve('last').id, 'oldimport0002');
  });

  it('an id, a unique prefix; text that cannot be an id names no run (404), an ambiguous prefix is a 400', () => {
    assert.equal(runs.resolve('newstart00001').id, 'newstart00001');
    assert.equal(runs.resolve('olDimport'.toLowerCase()).id, 'oldimport0002');
    for (const ref of ['does-not-exist', 'NOT-AN-ID', 'x'.repeat(41), 'zzzz']) assert.throws(() => runs.resolve(ref), code('PROF_ERR_NOT_FOUND', 404), ref);
    make(1_700_000_000_000, 'newstart00003');
    assert.throws(() => runs.resolve('newstart'), code('PROF_ERR_INVALID', 400));
  });
});

describe('runningIds', () => {
  it('lists the running runs, or only those with a budget not yet exceeded, as list() would', () => {
    const runs = new RunStore(openDatabase(':memory:'));
    const budget = { limitJ: 1000, action: 'warn' as const, exceeded: false, at: null, reason: null };
    const make = (id: string, startedAt: number, status: 'running' | 'imported', b: typeof budget | null) =>
      runs.create({ name: null, command: ['x'], cwd: null, startedAt, expectedEpochs: null, clientPid: null, sampleMs: 200, meta: {},
        status, ...(b ? { budget: b } : {}) }, id);
    make('plain00000001', 1000, 'running', null);
    make('budget0000002', 2000, 'running', budget);
    const over = make('over000000003', 3000, 'running', budget);
    make('import0000004', 4000, 'imported', budget);
    runs.update(over.rid, { budget: { ...budget, exceeded: true, at: 3500, reason: 'measured' } });
    assert.deepEqual(runs.runningIds(), runs.list({ status: 'running' }).map((r) => r.id));
    assert.deepEqual(runs.runningIds(), ['over000000003', 'budget0000002', 'plain00000001']);
    assert.deepEqual(runs.runningIds({ budgeted: true }), ['budget0000002']);
    assert.deepEqual(runs.runningBrief(), runs.list({ status: 'running' }).map((r) => ({ rid: r.rid, id: r.id, started_at: r.started_at })));
  });
});
