import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CLI, lockPid, runCli, showJson, testHome, waitFor, type TestHome } from '../helpers/cli.js';
import { pidAlive as alive } from '../../src/platform/process.js';

// Fault injection with real processes: what the profiler does when things go wrong must never touch the command,
// and must lose nothing it could keep.


function integrity(home: string): string {
  const db = new Database(path.join(home, 'profiler.db'), { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** Daemon processes serving this home (by their environment), to see that racing clients converge on one. */
function daemonsOf(home: string): number[] {
  const out = spawnSync('sh', ['-c', 'for p in /proc/[0-9]*; do tr "\\0" "\\n" < $p/environ 2>/dev/null | grep -qx "PROFILER_HOME=$0" && ' +
    'grep -q "daemon" $p/cmdline 2>/dev/null && echo ${p#/proc/}; done', home], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number).filter((p) => p !== process.pid);
}

async function hwmKiB(pid: number): Promise<number> {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

describe('fault injection: races, crashes, a full disk, hostile requests', () => {
  const homes: TestHome[] = [];
  after(async () => {
    for (const h of homes) await h.cleanup();
  });

  it('four `profiler run` started at once with no daemon: one daemon, four runs recorded with their exit codes', async () => {
    const h = await testHome();
    homes.push(h);
    const results = await Promise.all([0, 1, 2, 3].map((i) => runCli(['run', '--', 'sh', '-c', `sleep 1.5; echo out${i}; exit ${i}`], { env: h.env })));
    results.forEach((r, i) => {
      assert.equal(r.code, i, r.stderr);
      assert.equal(r.stdout.toString(), `out${i}\n`, 'output untouched');
      assert.doesNotMatch(r.stderr, /not recorded/, r.stderr);
    });
    const list = JSON.parse((await runCli(['runs', '--json'], { env: h.env })).stdout.toString()) as { status: string; exitCode: number }[];
    assert.equal(list.length, 4);
    assert.deepEqual(list.map((r) => r.exitCode).sort(), [0, 1, 2, 3]);
    assert.deepEqual(daemonsOf(h.home), [lockPid(h.home)], 'exactly one daemon serves the home');
    assert.equal(integrity(h.home), 'ok');
  });

  it('kill -9 of the daemon with three runs going: every client gets a daemon back and every run is recorded', async () => {
    const h = await testHome();
    homes.push(h);
    assert.equal((await runCli(['daemon', 'start'], { env: h.env })).code, 0);
    const first = lockPid(h.home);
    const runs = [1, 2, 3].map((i) => runCli(['run', '--', 'sh', '-c', `sleep 5; exit ${i}`], { env: h.env }));
    await waitFor(async () => {
      const j = JSON.parse((await runCli(['runs', '--json'], { env: h.env })).stdout.toString() || '[]') as { status: string }[];
      return j.filter((r) => r.status === 'running').length === 3;
    }, 15_000, 'three runs registered');
    process.kill(first, 'SIGKILL');
    const results = await Promise.all(runs);
    results.forEach((r, i) => {
      assert.equal(r.code, i + 1, r.stderr);
      assert.doesNotMatch(r.stderr, /could not be restarted|not recorded/, r.stderr);
    });
    const list = JSON.parse((await runCli(['runs', '--json'], { env: h.env })).stdout.toString()) as { status: string; exitCode: number }[];
    assert.deepEqual(list.map((r) => `${r.status}/${r.exitCode}`).sort(), ['failed/1', 'failed/2', 'failed/3']);
    assert.notEqual(lockPid(h.home), first);
    assert.deepEqual(daemonsOf(h.home), [lockPid(h.home)]);
    assert.equal(integrity(h.home), 'ok');
  });

  it('no daemon can be restarted when the command ends: the exit code waits on disk and the next daemon records it', async () => {
    const h = await testHome();
    homes.push(h);
    assert.equal((await runCli(['daemon', 'start'], { env: h.env })).code, 0);
    const { createServer } = await import('node:net');
    // The command starts only once the client has the registration's answer: killing the daemon before that would
    // test a lost answer (a different path) instead.
    const started = path.join(h.home, 'command-started');
    const run = runCli(['run', '--', 'sh', '-c', `touch "${started}"; sleep 2.5; exit 7`], { env: h.env });
    await waitFor(() => existsSync(started), 15_000, 'the command to start');
    const registered = await showJson(h.env);
    assert.equal(registered.status, 'running');
    // Kill the daemon and hold its port with something that is not a daemon: restarts fail (EADDRINUSE).
    const squatter = createServer((s) => s.on('error', () => {}));
    const pid = lockPid(h.home);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), 5000, 'the daemon to die');
    // A restart may have taken the port first: kill it too until the squatter holds the port.
    await waitFor(() => new Promise<boolean>((res) => {
      squatter.once('error', () => {
        const again = lockPid(h.home);
        if (again !== pid && alive(again)) process.kill(again, 'SIGKILL');
        res(false);
      });
      squatter.listen(Number(h.env.PROFILER_PORT), '127.0.0.1', () => res(true));
    }), 10_000, 'the port held by a squatter');
    const r = await run;
    squatter.close();
    assert.equal(r.code, 7, 'the command\'s exit code, untouched');
    assert.match(r.stderr, /EADDRINUSE/, `the client says why the daemon could not start: ${r.stderr}`);
    assert.match(r.stderr, /outcome is saved/);
    assert.match(r.stderr, new RegExp(`run ${registered.id} is not finished in the record yet`), 'not "not recorded": it will be');
    assert.doesNotMatch(r.stderr, /was not recorded/);
    assert.equal((await runCli(['daemon', 'start'], { env: h.env })).code, 0);
    const done = await waitFor(async () => {
      const j = await showJson(h.env, registered.id);
      return j.status !== 'running' && j.status !== 'interrupted' ? j : null;
    }, 15_000, 'the saved outcome recorded');
    assert.equal(done.status, 'failed');
    assert.equal(done.exitCode, 7);
    assert.ok(done.durationS >= 2.3 && done.durationS < 6, `duration ${done.durationS}`);
    assert.deepEqual(readdirSync(path.join(h.home, 'outcomes')), [], 'the file is gone once recorded');
  });

  it('a daemon holding the home on another port: status says so (exit 4) and a run names the port, never "not running"', async () => {
    const h = await testHome();
    homes.push(h);
    assert.equal((await runCli(['daemon', 'start'], { env: h.env })).code, 0);
    const other = { ...h.env, PROFILER_PORT: String(Number(h.env.PROFILER_PORT) + 1) };
    const st = await runCli(['daemon', 'status'], { env: other });
    assert.equal(st.code, 4, st.stdout.toString());
    assert.match(st.stdout.toString(), new RegExp(`on port ${h.env.PROFILER_PORT} \\(answers there\\), not on ${other.PROFILER_PORT}`));
    const r = await runCli(['run', '--', 'sh', '-c', 'echo ok'], { env: other });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString(), 'ok\n', 'the command runs anyway');
    assert.match(r.stderr, new RegExp(`already holds .* on port ${h.env.PROFILER_PORT}, not ${other.PROFILER_PORT}: set PROFILER_PORT=${h.env.PROFILER_PORT}`));
  });

  it('hostile times are refused naming the field, and a day-long span costs the daemon no memory', async () => {
    const h = await testHome();
    homes.push(h);
    assert.equal((await runCli(['daemon', 'start'], { env: h.env })).code, 0);
    const url = `http://127.0.0.1:${h.env.PROFILER_PORT}`;
    const post = async (p: string, body: unknown): Promise<{ status: number; json: any }> => {
      const r = await fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, json: await r.json() };
    };
    for (const startedAt of [1, '0000-01-01T00:00:00Z', 8.64e15, Date.now() + 3_600_000, Date.now() - 3 * 86_400_000]) {
      const r = await post('/v1/runs', { command: ['x'], startedAt });
      assert.equal(r.status, 400, JSON.stringify(startedAt));
      assert.match(r.json.error.message, /^startedAt: .* out of range/);
    }
    const ok = await post('/v1/runs', { command: ['x'], startedAt: Date.now() - 86_000_000 });
    assert.equal(ok.status, 201);
    const late = await post(`/v1/runs/${ok.json.id}/finish`, { exitCode: 0, endedAt: Date.now() + 86_400_000 });
    assert.equal(late.status, 400);
    assert.match(late.json.error.message, /^endedAt: /);
    const done = await post(`/v1/runs/${ok.json.id}/finish`, { exitCode: 0 });
    assert.equal(done.status, 200);
    assert.ok(done.json.durationS > 85_000);
    const hwm = await hwmKiB(lockPid(h.home));
    assert.ok(hwm < 300 * 1024, `daemon peak RSS ${hwm} KiB`);
    const health = await (await fetch(url + '/healthz')).json() as { ok: boolean };
    assert.equal(health.ok, true);
    // A name that would drive the terminal (clear screen, set title) is printed escaped.
    const evil = await post('/v1/runs', { command: ['x\u001b[2J'], name: 'n\u001b]0;pwned\u0007' });
    assert.equal(evil.status, 201);
    const listing = await runCli(['runs'], { env: h.env });
    assert.equal(listing.code, 0);
    assert.doesNotMatch(listing.stdout.toString(), /[\u001b\u0007]/);
    assert.match(listing.stdout.toString(), /n\\x1b\]0;pwned\\x07/);
    const shown = await runCli(['show', evil.json.id], { env: h.env });
    assert.doesNotMatch(shown.stdout.toString(), /[\u001b\u0007]/);
  });

  it('a full disk: no crash, no hang; the command is untouched, status tells, stop works, the lock is released', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'profiler-full-'));
    // A real full file system where mounting is allowed (root); else a file size limit, which fails writes alike.
    const mounted = process.env.PROFILER_TEST_NO_MOUNT ? false : spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', base]).status === 0;
    const home = path.join(base, 'home');
    mkdirSync(home);
    // The inventory answers after the disk is full (as a slow `nvidia-smi -q` would): the device rows it writes must
    // get through, or the run has no GPU and its energy stays 0 after the disk has room again.
    const h = await testHome({ PROFILER_HOME: home, FAKE_SMI_MODE: 'slow-inventory:1500' });
    const env = h.env;
    try {
      let daemon: ReturnType<typeof spawn> | null = null;
      if (mounted) {
        assert.equal((await runCli(['daemon', 'start'], { env })).code, 0);
        spawnSync('dd', ['if=/dev/zero', `of=${path.join(base, 'fill')}`, 'bs=4k'], { stdio: 'ignore' });
      } else {
        daemon = spawn('sh', ['-c', `trap "" XFSZ; ulimit -f 200; exec "${process.execPath}" "${CLI}" daemon run`], { env, stdio: 'ignore' });
        await waitFor(async () => (await runCli(['daemon', 'status'], { env })).code === 0, 15_000, 'the daemon');
      }
      const pid = lockPid(home);
      const lines = Array.from({ length: 6 }, (_, i) => `Epoch ${i + 1}/6`);
      const cmd = `for i in 1 2 3 4 5 6; do echo "Epoch $i/6"; head -c 200000 /dev/zero | tr "\\0" x > /dev/null; sleep 0.4; done; exit 3`;
      const r = await runCli(['run', '--', 'sh', '-c', cmd], { env });
      assert.equal(r.code, 3, 'the exit code is the command\'s');
      assert.equal(r.stdout.toString(), lines.join('\n') + '\n', 'output untouched');
      const st = await runCli(['daemon', 'status', '--json'], { env });
      assert.equal(st.code, 0, 'the daemon still answers');
      const status = JSON.parse(st.stdout.toString()) as { storage: { state: string } };
      assert.equal(status.storage.state, mounted ? 'full' : 'failing');
      assert.ok(alive(pid), 'no crash');
      if (mounted) {
        // The reserve let the run's own record through: the exit code is kept while samples wait.
        assert.match(r.stderr, /is full/);
        const run = await showJson(env);
        assert.equal(run.exitCode, 3);
        rmSync(path.join(base, 'fill'));
        const resealed = await waitFor(async () => {
          const j = await showJson(env, run.id);
          return j.energy.gpuJ > 0 ? j : null;
        }, 15_000, 'the run sealed again once the disk has room');
        assert.equal(resealed.status, 'failed');
        assert.equal(resealed.devices.length, 2, 'the run got the fake nvidia-smi\'s two GPUs');
      }
      const stop = await runCli(['daemon', 'stop'], { env });
      assert.equal(stop.code, 0, stop.stderr);
      await waitFor(() => !alive(pid), 10_000, 'the daemon to exit');
      const after = await runCli(['daemon', 'status'], { env });
      assert.equal(after.code, 3, 'status: not running');
      assert.equal(integrity(home), 'ok');
      daemon?.kill('SIGKILL');
    } finally {
      await h.cleanup();
      if (mounted) execFileSync('umount', ['-l', base]);
      rmSync(base, { recursive: true, force: true });
    }
  });
});
