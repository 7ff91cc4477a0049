import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../../src/store/db.js';
import { SampleStore } from '../../../src/store/samples.js';

const count = (db: ReturnType<typeof openDatabase>, table: string): number =>
  (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('queued samples survive a failed flush, within a bound', () => {
  it('rows of a failed flush wait for the next one (nothing lost while the failure lasts)', () => {
    const db = openDatabase(':memory:');
    const store = new SampleStore(db);
    db.exec("CREATE TRIGGER no_room BEFORE INSERT ON host_samples BEGIN SELECT RAISE(ABORT, 'no room'); END");
    for (let i = 0; i < 10; i++) store.addHost({ t: i, memUsedBytes: 1, memTotalBytes: 2, cpuEnergyJ: null });
    assert.throws(() => store.flush(), /no room/);
    assert.equal(store.pending, 10, 'the rows are queued again');
    store.addHost({ t: 10, memUsedBytes: 1, memTotalBytes: 2, cpuEnergyJ: null });
    db.exec('DROP TRIGGER no_room');
    assert.equal(store.flush(), 11);
    assert.deepEqual((db.prepare('SELECT t FROM host_samples ORDER BY t').all() as { t: number }[]).map((r) => r.t), [...Array(11).keys()]);
  });

  it('a failure its listener handles (disk full) returns 0 instead of throwing', () => {
    const db = openDatabase(':memory:');
    const store = new SampleStore(db);
    const seen: unknown[] = [];
    store.onFlushError = (err) => {
      seen.push(err);
      return true;
    };
    db.exec("CREATE TRIGGER no_room BEFORE INSERT ON host_samples BEGIN SELECT RAISE(ABORT, 'no room'); END");
    store.addHost({ t: 1, memUsedBytes: 1, memTotalBytes: 2, cpuEnergyJ: null });
    assert.equal(store.flush(), 0);
    assert.equal(seen.length, 1);
    assert.equal(store.pending, 1);
  });

  it('held writes keep at most maxPending rows, dropping the oldest and counting them', () => {
    const db = openDatabase(':memory:');
    const store = new SampleStore(db);
    store.maxPending = 5;
    store.held = true;
    for (let i = 0; i < 8; i++) store.addHost({ t: i, memUsedBytes: 1, memTotalBytes: 2, cpuEnergyJ: null });
    assert.equal(store.flush(), 0, 'nothing is written while held');
    assert.equal(count(db, 'host_samples'), 0);
    assert.equal(store.pending, 5);
    assert.equal(store.rowsLost, 3);
    store.held = false;
    assert.equal(store.flush(), 5);
    assert.deepEqual((db.prepare('SELECT t FROM host_samples ORDER BY t').all() as { t: number }[]).map((r) => r.t), [3, 4, 5, 6, 7]);
  });
});
