import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { isDiskFull, isWriteFailure, StorageGuard } from '../../../src/daemon/storage.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

const MiB = 1048576;

function harness(free: { bytes: number }) {
  const home = mkdtempSync(join(tmpdir(), 'profiler-storage-'));
  const clock = new FakeScheduler();
  const samples = { held: false, pending: 0, rowsLost: 0, onFlushError: null as ((err: unknown) => boolean) | null };
  const resumed: number[] = [];
  const guard = new StorageGuard({
    home, log: pino({ level: 'silent' }), samples, scheduler: clock, now: () => clock.now(), freeBytes: () => free.bytes,
    reserveBytes: MiB, checkMs: 1000, onResume: (since) => resumed.push(since),
  });
  return { home, clock, samples, resumed, guard, reserve: join(home, 'space.reserve') };
}

describe('the storage guard keeps the daemon useful on a full disk', () => {
  const homes: string[] = [];
  after(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));

  it('knows the errors that mean no room', () => {
    for (const code of ['SQLITE_FULL', 'ENOSPC', 'EDQUOT']) assert.equal(isDiskFull({ code }), true, code);
    for (const code of ['SQLITE_FULL', 'EFBIG', 'EIO', 'SQLITE_IOERR_WRITE']) assert.equal(isWriteFailure({ code }), true, code);
    assert.equal(isDiskFull({ code: 'SQLITE_IOERR_WRITE' }), false, 'an I/O error is not a full disk');
    for (const e of [{ code: 'SQLITE_BUSY' }, new Error('x'), null, undefined]) assert.equal(isWriteFailure(e), false);
  });

  it('a failed flush for lack of room gives the reserve back and holds samples; room again resumes them', async () => {
    const free = { bytes: 100 * MiB };
    const h = harness(free);
    homes.push(h.home);
    h.guard.start();
    assert.equal(statSync(h.reserve).size, MiB, 'the reserve is set aside at start');
    assert.equal(h.samples.onFlushError?.({ code: 'SQLITE_BUSY' }), false, 'other errors are not its business');
    assert.equal(h.samples.held, false);
    const fullAt = h.clock.now();
    assert.equal(h.samples.onFlushError?.({ code: 'SQLITE_FULL' }), true);
    assert.equal(h.samples.held, true);
    assert.equal(existsSync(h.reserve), false, 'the reserve is freed for the runs\' own records');
    assert.equal(h.guard.state.state, 'full');
    assert.match(h.guard.state.message ?? '', /is full/);
    free.bytes = MiB + 1000; // not yet room for the reserve and 1 MiB more
    await h.clock.advance(3000);
    assert.equal(h.guard.state.state, 'full');
    assert.deepEqual(h.resumed, []);
    free.bytes = 3 * MiB;
    await h.clock.advance(1000);
    assert.equal(h.guard.state.state, 'ok');
    assert.equal(h.samples.held, false);
    assert.equal(statSync(h.reserve).size, MiB, 'the reserve is taken back');
    assert.deepEqual(h.resumed, [fullAt], 'resumed, told since when the disk was full');
    h.guard.close();
    assert.equal(h.clock.pending, 0, 'no timer left');
  });

  it('a record written outside a request gets the reserve\'s room: tried again once after the reserve is given back', () => {
    const h = harness({ bytes: 100 * MiB });
    homes.push(h.home);
    h.guard.start();
    const tries: boolean[] = [];
    const value = h.guard.write(() => {
      tries.push(existsSync(h.reserve));
      if (tries.length === 1) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return 42;
    });
    assert.equal(value, 42);
    assert.deepEqual(tries, [true, false], 'the second try has the reserve\'s room');
    assert.equal(h.samples.held, true, 'samples wait meanwhile');
    assert.equal(h.guard.state.state, 'full');
    let calls = 0;
    assert.throws(() => h.guard.write(() => {
      calls++;
      throw Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT' });
    }), { code: 'SQLITE_CONSTRAINT' });
    assert.equal(calls, 1, 'an error that is not the disk\'s is not tried again');
    calls = 0;
    assert.throws(() => h.guard.write(() => {
      calls++;
      throw Object.assign(new Error('full'), { code: 'SQLITE_FULL' });
    }), { code: 'SQLITE_FULL' });
    assert.equal(calls, 2, 'tried twice at most');
    h.guard.close();
  });

  it('a disk about to fill holds samples before SQLite fails', async () => {
    const free = { bytes: 50 * MiB };
    const h = harness(free);
    homes.push(h.home);
    h.guard.start();
    await h.clock.advance(2000);
    assert.equal(h.guard.state.state, 'ok');
    free.bytes = 100 * 1024;
    await h.clock.advance(1000);
    assert.equal(h.guard.state.state, 'full');
    assert.equal(h.samples.held, true);
    h.guard.close();
  });
});
