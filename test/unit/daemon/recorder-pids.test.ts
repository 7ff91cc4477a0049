import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import { Recorder } from '../../../src/daemon/recorder.js';
import type { NewRun } from '../../../src/runs/lifecycle.js';
import { openRunSet, type RunSet } from '../../../src/runs/open.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

/** A recorder on a fake scheduler over a fresh run set; the hooks note which runs ended and were sealed. */
async function withRecorder(fn: (r: { rec: Recorder; set: RunSet; time: FakeScheduler; ended: string[]; sealed: string[]; events: string[] }) => Promise<void>) {
  const home = mkdtempSync(join(tmpdir(), 'recorder-pids-'));
  const cfg = loadConfig({ env: { PROFILER_HOME: home }, overrides: { orphanAfterMs: 15_000 } });
  const time = new FakeScheduler();
  const set = openRunSet(cfg, { clock: time });
  const ended: string[] = [];
  const sealed: string[] = [];
  const events: string[] = [];
  const rec = new Recorder(cfg, pino({ level: 'silent' }), set.runs, set.epochs, set.samples, set.energy, {
    onRunStarted: () => {}, onAttach: () => {}, onRunEnded: (run) => void ended.push(run.id), waitForSamples: async () => {},
    emit: (_run, e) => void events.push(e.kind === 'epoch' ? `epoch ${e.data.epoch} ${e.data.event}` : e.kind),
    afterSeal: async (run) => {
      sealed.push(run.id);
      events.push('analysis');
    },
  }, () => time.now(), time);
  try {
    await fn({ rec, set, time, ended, sealed, events });
    rec.close();
    assert.equal(time.pending, 0, 'no timer left behind');
  } finally {
    set.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const newRun = (startedAt: number, pid: number | null): NewRun => ({ name: null, command: ['train'], cwd: null, pid, startedAt,
  expectedEpochs: null, cudaVisibleDevices: null, gpus: null, meta: {} });

describe('the pid of a run', () => {
  it('is refused when its tree would be the whole machine: pid ≤ 1 or the daemon\'s own, at registration and attach', async () => {
    await withRecorder(async ({ rec, set, time }) => {
      for (const pid of [1, 0, -3, process.pid]) {
        assert.throws(() => rec.start(newRun(time.now(), pid)), { code: 'PROF_ERR_INVALID', status: 400, message: /^pid: / });
      }
      assert.deepEqual(set.runs.list({}), [], 'nothing registered');
      const run = rec.start(newRun(time.now(), null));
      for (const pid of [1, process.pid]) assert.throws(() => rec.attach(run, pid), { code: 'PROF_ERR_INVALID', message: /^pid: / });
      assert.equal(set.runs.byId(run.id)?.client_pid, null);
      rec.attach(run, 4242);
      assert.equal(set.runs.byId(run.id)?.client_pid, 4242);
    });
  });
});

describe('the events of a run\'s end', () => {
  it('the last epoch closes and is finalized, the analysis runs, and only then the status that ends a live stream', async () => {
    await withRecorder(async ({ rec, set, time, events }) => {
      const run = rec.start(newRun(time.now(), 4242));
      rec.mark(run, { event: 'start', epoch: 1, at: time.now(), total: null, source: 'test' });
      await time.advance(2000);
      events.length = 0;
      await rec.finish(set.runs.byId(run.id)!, { exitCode: 0, signal: null, endedAt: time.now() });
      assert.deepEqual(events, ['epoch 1 end', 'epoch 1 finalized', 'analysis', 'status']);
    });
  });
});

describe('a registration is one write', () => {
  it('a database that refuses every change after the INSERT still holds a whole run (never a half-created one)', async () => {
    await withRecorder(async ({ rec, set, time }) => {
      set.db.exec("CREATE TRIGGER frozen BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'no more writes'); END");
      const run = rec.start(newRun(time.now(), 4242));
      assert.equal(set.runs.byId(run.id)?.status, 'running');
      assert.deepEqual(set.runs.byId(run.id)?.baseline, {}, 'the baseline came with the row');
      set.db.exec('DROP TRIGGER frozen');
      set.db.exec("CREATE TRIGGER full BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
      assert.throws(() => rec.start(newRun(time.now(), 4243)), /disk is full/);
      assert.equal(set.runs.list({}).length, 1, 'a refused INSERT leaves nothing');
      set.db.exec('DROP TRIGGER full');
    });
  });
});

describe('a run without a pid', () => {
  it('ends interrupted orphanAfterMs after its client\'s last request, at that request', async () => {
    await withRecorder(async ({ rec, set, time, ended, sealed }) => {
      const t0 = time.now();
      const run = rec.start(newRun(t0, null));
      await time.advance(10_000);
      rec.mark(set.runs.byId(run.id)!, { event: 'start', epoch: 1, at: time.now(), total: null, source: 'test' });
      await time.advance(14_999);
      assert.equal(set.runs.byId(run.id)?.status, 'running', 'an epoch mark is a sign of life');
      await time.advance(1);
      const done = set.runs.byId(run.id);
      assert.equal(done?.status, 'interrupted');
      assert.equal(done?.ended_at, t0 + 10_000, 'at the last request');
      assert.equal(set.epochs.get(run.rid, 1)?.ended_at, t0 + 10_000);
      assert.match(String(set.runs.events(run.rid, 'interrupted')[0]?.data.reason), /no pid/);
      assert.deepEqual([ended, sealed], [[run.id], [run.id]], 'sampling stopped, analysis asked');
      // Its client's finish, should it come after all, still gives the outcome.
      const late = await rec.finish(done!, { exitCode: 0, signal: null, endedAt: t0 + 40_000 });
      assert.equal(late.status, 'succeeded');
    });
  });

  it('is a watched run once it attaches a pid, and a finished one is not expired', async () => {
    await withRecorder(async ({ rec, set, time }) => {
      const attached = rec.start(newRun(time.now(), null));
      const finished = rec.start(newRun(time.now(), null));
      await time.advance(1000);
      rec.attach(set.runs.byId(attached.id)!, 4242);
      await rec.finish(set.runs.byId(finished.id)!, { exitCode: 0, signal: null, endedAt: time.now() });
      await time.advance(60_000);
      assert.equal(set.runs.byId(attached.id)?.status, 'running', 'its process tree says when it ends');
      assert.equal(set.runs.byId(finished.id)?.status, 'succeeded');
      assert.equal(set.runs.events(finished.rid, 'interrupted').length, 0);
    });
  });
});
