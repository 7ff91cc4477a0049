import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DEMO, lockPid, runCli, showJson, startCli, testHome, waitFor, type TestHome } from '../helpers/cli.js';
import { pidAlive as alive } from '../../src/platform/process.js';


describe('the run survives what happens to the daemon and to nvidia-smi', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome();
  });
  after(async () => h.cleanup());

  it('kill -9 of the daemon mid-run: the client restarts it, the run is resumed and finished, the DB intact', async () => {
    const { child, done } = startCli(['run', '--', 'python3', DEMO, '--epochs', '6', '--epoch-seconds', '0.7'], { env: h.env });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('Epoch 2/6'), 15_000, 'epoch 2');
    const first = lockPid(h.home);
    process.kill(first, 'SIGKILL');
    const r = await done;
    assert.equal(r.code, 0, 'the command ran to its end untouched');
    assert.match(out, /Epoch 6\/6/);
    assert.match(r.stderr, /daemon stopped during the run and was restarted/);
    const second = lockPid(h.home);
    assert.notEqual(second, first);
    assert.ok(alive(second));
    const run = await showJson(h.env);
    assert.equal(run.status, 'succeeded');
    assert.ok(run.epochs.length >= 5, `epochs: ${run.epochs.length}`);
    const db = new Database(path.join(h.home, 'profiler.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const kinds = (db.prepare('SELECT kind FROM events e JOIN runs r ON r.rid = e.rid WHERE r.id = ?').all(run.id) as { kind: string }[]).map((k) => k.kind);
      assert.ok(kinds.includes('resumed'), `events: ${kinds.join(',')}`);
    } finally {
      db.close();
    }
  });

  it('kill -9 of daemon, client and command: the next daemon marks the run interrupted', async () => {
    const { child } = startCli(['run', '--', 'python3', DEMO, '--epochs', '20', '--epoch-seconds', '0.5'], { env: h.env });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('Epoch 2/20'), 15_000, 'epoch 2');
    const running = await showJson(h.env);
    assert.equal(running.status, 'running');
    process.kill(lockPid(h.home), 'SIGKILL');
    child.kill('SIGKILL');
    // The command is now orphaned: find and kill it the way an OOM killer or a node reboot would.
    const { execSync } = await import('node:child_process');
    execSync(`pkill -9 -f "[d]emo-train.py --epochs 20" || true`);
    const r = await runCli(['daemon', 'start'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const run = await waitFor(async () => {
      const j = await showJson(h.env, running.id);
      return j.status !== 'running' ? j : null;
    }, 10_000, 'the run to be marked');
    assert.equal(run.status, 'interrupted');
    assert.ok(run.endedAt !== null);
    assert.ok(run.energy.gpuJ > 0, 'energy recorded up to the interruption is kept');
  });

  it('kill -9 of the daemon just before the command ends: the client\'s exit code and end are recorded', async () => {
    const t0 = Date.now();
    const { done } = startCli(['run', '--', 'sh', '-c', 'sleep 3; exit 7'], { env: h.env });
    const running = await waitFor(async () => {
      const j = await showJson(h.env).catch(() => null);
      return j?.status === 'running' && j.command[0] === 'sh' ? j : null;
    }, 10_000, 'the run registered');
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + 2700 - Date.now())));
    process.kill(lockPid(h.home), 'SIGKILL');
    const r = await done;
    assert.equal(r.code, 7, 'the command\'s exit code, untouched');
    // Whether the restarted daemon resumed the run or first guessed it interrupted, the client's report wins.
    const run = await waitFor(async () => {
      const j = await showJson(h.env, running.id);
      return j.status !== 'running' ? j : null;
    }, 15_000, 'the run to end');
    assert.equal(run.status, 'failed', r.stderr);
    assert.equal(run.exitCode, 7);
    assert.ok(run.durationS >= 2.5 && run.durationS < 10, `duration ${run.durationS}`);
  });

  it('no nvidia-smi at all: the run is recorded with host metrics only, with one clear warning', async () => {
    await runCli(['daemon', 'stop'], { env: h.env });
    const env = { ...h.env, PROFILER_NVIDIA_SMI: '/nonexistent/nvidia-smi' };
    const r = await runCli(['run', '--', 'python3', DEMO, '--epochs', '3', '--epoch-seconds', '0.6'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no GPU was measured/);
    const run = await showJson(env);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.devices.length, 0);
    assert.equal(run.energy.gpuJ, 0);
    assert.equal(run.energy.gpuCoverage, 0, 'no GPU measured covers nothing');
    assert.ok(run.energy.ramJ > 0);
    assert.equal(run.epochs.length, 3);
    const st = await runCli(['daemon', 'status', '--json'], { env });
    assert.equal(JSON.parse(st.stdout.toString()).gpuSampler.state, 'unavailable');
    await runCli(['daemon', 'stop'], { env });
    assert.ok(!existsSync(path.join(h.home, 'daemon.lock')), 'a graceful stop removes the lock');
  });

  it('no daemon reachable: the command still runs to its end and the client says what was not recorded', async () => {
    const env = { ...h.env, PROFILER_HOME: path.join(h.home, 'file-not-dir', 'x') };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(h.home, 'file-not-dir'), 'blocks mkdir');
    const r = await runCli(['run', '--', 'sh', '-c', 'echo hello; exit 3'], { env });
    assert.equal(r.code, 3);
    assert.equal(r.stdout.toString(), 'hello\n');
    assert.match(r.stderr, /was not recorded/);
  });
});

describe('a run whose client died', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(h.home, 'config.json'), JSON.stringify({ orphanAfterMs: 2000 }));
  });
  after(async () => h.cleanup());

  it('is marked interrupted once its command is gone and nobody finished it', async () => {
    const { child } = startCli(['run', '--', 'python3', DEMO, '--epochs', '3', '--epoch-seconds', '1.5'], { env: h.env });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('Epoch 2/3'), 15_000, 'epoch 2');
    // The client posts a mark after passing its bytes on: wait until the daemon has it, or a kill could beat the post.
    await waitFor(async () => ((await showJson(h.env)).epochs.length >= 2 ? true : null), 15_000, 'the daemon to hold epoch 2');
    child.kill('SIGKILL'); // the client, not the command: the command finishes on its own
    const run = await waitFor(async () => {
      const j = await showJson(h.env);
      return j.status !== 'running' ? j : null;
    }, 20_000, 'the orphaned run to be ended');
    assert.equal(run.status, 'interrupted');
    assert.ok(run.epochs.length >= 2);
    assert.ok(run.energy.gpuJ > 0);
  });
});
