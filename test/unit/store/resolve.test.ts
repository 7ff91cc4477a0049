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
