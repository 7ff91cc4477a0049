import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../../src/store/db.js';
import { RunStore } from '../../../src/store/runs.js';

// The CI failure of "profiler import beside a live daemon": the run started during the import got no GPU. Assigning
// its GPUs reads, then writes, in one transaction; deferred, an import's commit between the two made the first write
// fail at once with SQLITE_BUSY (a stale snapshot: the busy timeout does not apply), and the assignment was lost.
describe('a daemon write transaction beside another writer (an import)', () => {
  it('takes the write lock up front: a commit elsewhere between its read and its write cannot fail it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wlock-'));
    try {
      const file = path.join(dir, 'profiler.db');
      const daemonDb = openDatabase(file);
      const runs = new RunStore(daemonDb);
      const run = runs.create({ name: null, command: ['x'], cwd: null, startedAt: 1000, expectedEpochs: null, clientPid: null,
        sampleMs: 200, meta: {}, status: 'running' }, 'lockrun000001');
      const importDb = new Database(file);
      importDb.pragma('busy_timeout = 0');
      let importError: string | undefined;
      runs.atomically(() => {
        assert.equal(runs.byId(run.id)?.status, 'running'); // the read that opens the snapshot
        try {
          importDb.prepare('INSERT INTO devices (uuid, updated_at) VALUES (?, ?)').run('GPU-import', 1);
        } catch (err) {
          importError = (err as { code?: string }).code;
        }
        runs.addEvent(run.rid, 'gpu_gap', { from: 1, to: 2 }, 1500);
      });
      assert.equal(importError, 'SQLITE_BUSY', 'the other writer waited for the lock the transaction held');
      const events = daemonDb.prepare('SELECT kind FROM events WHERE rid = ?').all(run.rid) as { kind: string }[];
      assert.deepEqual(events.map((e) => e.kind), ['gpu_gap']);
      // Once it has committed, the other writer goes on.
      importDb.prepare('INSERT INTO devices (uuid, updated_at) VALUES (?, ?)').run('GPU-import', 1);
      importDb.close();
      daemonDb.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
