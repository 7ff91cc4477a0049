import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import { Recorder } from '../../../src/daemon/recorder.js';
import type { RunEvent } from '../../../src/runs/lifecycle.js';
import { openRunSet } from '../../../src/runs/open.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

test('an epoch is finalized (energy, then the analysis trigger) only once its late samples are surely stored', async () => {
  const home = mkdtempSync(join(tmpdir(), 'recorder-'));
  const cfg = loadConfig({ env: { PROFILER_HOME: home } });
  const time = new FakeScheduler();
  const set = openRunSet(cfg, { clock: time });
  try {
    const events: RunEvent[] = [];
    const sealed: string[] = [];
    const rec = new Recorder(cfg, pino({ level: 'silent' }), set.runs, set.epochs, set.samples, set.energy, {
      onRunStarted: () => {}, onAttach: () => {}, onRunEnded: () => {}, waitForSamples: async () => {},
      emit: (_run, e) => events.push(e),
      afterSeal: async (run) => void sealed.push(run.id),
    }, () => time.now(), time);
    const t0 = time.now();
    const run = rec.start({ name: null, command: ['x'], cwd: null, pid: null, startedAt: t0, expectedEpochs: null,
      cudaVisibleDevices: null, gpus: null, meta: {} });
    await time.advance(1000);
    rec.mark(run, { event: 'start', epoch: 1, at: time.now(), total: null, source: 'test' });
    await time.advance(2000);
    rec.mark(run, { event: 'end', epoch: 1, at: time.now(), total: null, source: 'test' });
    const finalized = (): RunEvent[] => events.filter((e) => e.kind === 'epoch' && e.data.event === 'finalized');
    const delay = 2 * Math.max(cfg.sampleMs, cfg.processSampleMs) + cfg.flushMs;
    await time.advance(delay - 1);
    assert.equal(finalized().length, 0, 'not before samples stamped before the end can have arrived');
    assert.equal(set.epochs.get(run.rid, 1)?.energy_j, null);
    await time.advance(1);
    assert.equal(finalized().length, 1);
    assert.notEqual(set.epochs.get(run.rid, 1)?.energy_j, null, 'the epoch has its energy');
    assert.equal(set.runs.byId(run.id)?.energy_prefix?.until, t0 + 3000, 'the live prefix moved to the epoch end');
    await rec.finish(set.runs.byId(run.id)!, { exitCode: 0, signal: null, endedAt: time.now() });
    assert.deepEqual(sealed, [run.id]);
    assert.equal(events.at(-1)?.kind, 'status');
    rec.close();
    assert.equal(time.pending, 0, 'no timer left behind');
  } finally {
    set.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('the client\'s finish wins over a restarted daemon\'s guess: an interrupted run takes the reported exit code and end, once', async () => {
  const home = mkdtempSync(join(tmpdir(), 'recorder-'));
  const cfg = loadConfig({ env: { PROFILER_HOME: home } });
  const time = new FakeScheduler();
  const set = openRunSet(cfg, { clock: time });
  try {
    const rec = new Recorder(cfg, pino({ level: 'silent' }), set.runs, set.epochs, set.samples, set.energy, {
      onRunStarted: () => {}, onAttach: () => {}, onRunEnded: () => {}, waitForSamples: async () => {},
      emit: () => {}, afterSeal: async () => {},
    }, () => time.now(), time);
    const t0 = time.now();
    const run = rec.start({ name: null, command: ['sh'], cwd: null, pid: null, startedAt: t0, expectedEpochs: null,
      cudaVisibleDevices: null, gpus: null, meta: {} });
    rec.mark(run, { event: 'start', epoch: 1, at: t0 + 100, total: null, source: 'test' });
    // The daemon died at +2.7 s; its successor found the client's pid gone for a moment and guessed the end.
    const guessed = rec.interrupt(set.runs.byId(run.id)!, t0 + 2700);
    assert.equal(guessed.status, 'interrupted');
    const done = await rec.finish(guessed, { exitCode: 7, signal: null, endedAt: t0 + 3000 });
    assert.equal(done.status, 'failed');
    assert.equal(done.exit_code, 7);
    assert.equal(done.ended_at, t0 + 3000);
    assert.equal(set.epochs.get(run.rid, 1)?.ended_at, t0 + 3000, 'the last epoch runs to the reported end');
    assert.equal(set.runs.events(run.rid, 'outcome_reported').length, 1);
    await assert.rejects(rec.finish(done, { exitCode: 0, signal: null, endedAt: t0 + 4000 }), { code: 'PROF_ERR_CONFLICT' });
    rec.close();
  } finally {
    set.close();
    rmSync(home, { recursive: true, force: true });
  }
});
