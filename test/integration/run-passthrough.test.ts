import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, guardsOf, runCli, showJson, startCli, testHome, waitFor, type TestHome } from '../helpers/cli.js';

describe('profiler run passes the command through untouched', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome();
  });
  after(async () => h.cleanup());

  it('returns the command exit status', async () => {
    const r = await runCli(['run', '--quiet', '--', 'sh', '-c', 'exit 7'], { env: h.env });
    assert.equal(r.code, 7);
    assert.equal(r.stderr, '', '--quiet prints nothing of ours');
    const run = await showJson(h.env);
    assert.equal(run.status, 'failed');
    assert.equal(run.exitCode, 7);
  });

  it('returns 128 + signal when the command dies of a signal', async () => {
    const r = await runCli(['run', '--', 'sh', '-c', 'kill -TERM $$'], { env: h.env });
    assert.equal(r.code, 143);
    assert.equal((await showJson(h.env)).signal, 'SIGTERM');
  });

  it('passes stdout/stderr bytes unchanged and stdin through', async () => {
    const input = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xe2, 0x96, 0x88]);
    const r = await runCli(['run', '--quiet', '--', 'sh', '-c', 'cat; printf "err\\r\\n" >&2'], { env: h.env, input });
    assert.equal(r.code, 0);
    assert.ok(r.stdout.equals(input), `stdout differs: ${r.stdout.toString('hex')}`);
    assert.equal(r.stderr, 'err\r\n');
  });

  it('gives the command real pipes, as a shell pipeline would (not socket pairs), and not their read ends', async () => {
    const probe = [
      'import os, stat',
      'for fd in (1, 2):',
      '    print(fd, stat.S_ISFIFO(os.fstat(fd).st_mode), stat.S_ISSOCK(os.fstat(fd).st_mode))',
      'mine = {os.readlink("/proc/self/fd/%d" % fd) for fd in (1, 2)}',
      'other = [f for f in os.listdir("/proc/self/fd") if int(f) > 2]',
      'print(sum(1 for f in other if os.path.exists("/proc/self/fd/" + f) and os.readlink("/proc/self/fd/" + f) in mine))',
    ].join('\n');
    const r = await runCli(['run', '--quiet', '--', 'python3', '-c', probe], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.toString().trim().split('\n'), ['1 True False', '2 True False', '0'], 'a held read end would keep the pipe open');
  });

  it('gives the command PROFILER_URL, PROFILER_RUN_ID and PYTHONUNBUFFERED (unless set)', async () => {
    const r = await runCli(['run', '--quiet', '--', 'sh', '-c', 'echo "$PROFILER_URL $PROFILER_RUN_ID $PYTHONUNBUFFERED"'], { env: h.env });
    const [url, id, unbuf] = r.stdout.toString().trim().split(' ');
    assert.equal(url, `http://127.0.0.1:${h.env.PROFILER_PORT}`);
    assert.equal(id, (await showJson(h.env)).id);
    assert.equal(unbuf, '1');
    const r2 = await runCli(['run', '--quiet', '--', 'sh', '-c', 'echo "$PYTHONUNBUFFERED"'], { env: { ...h.env, PYTHONUNBUFFERED: '' } });
    assert.equal(r2.stdout.toString(), '\n', 'a value the user set (even empty) is kept');
  });

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`forwards ${sig} to the command`, async () => {
      const { child, done } = startCli(
        ['run', '--quiet', '--', 'python3', '-c', `import signal,sys,time\nsignal.signal(signal.${sig}, lambda *a: (print("got ${sig}", flush=True), sys.exit(42)))\nprint("ready", flush=True)\ntime.sleep(30)`],
        { env: h.env },
      );
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes('ready'), 10_000, 'the command to start');
      child.kill(sig);
      const r = await done;
      assert.equal(r.code, 42);
      assert.match(out, new RegExp(`got ${sig}`));
    });
  }

  it('does not wait for a process the command left behind holding its stdout (as a shell would not)', async () => {
    const mark = path.join(h.home, 'left-behind-done');
    const r = await runCli(['run', '--quiet', '--', 'sh', '-c', `(sleep 4; touch ${mark}; echo late) & echo hi`], { env: h.env });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString(), 'hi\n');
    assert.equal(existsSync(mark), false, 'profiler run returned while the left-behind process still ran');
    assert.equal((await showJson(h.env)).status, 'succeeded');
  });

  // A guard still holding the pipe would make yes block forever: the timeout turns that into a failure.
  it('a reader that closes our stdout closes the command\'s (EPIPE), as without us: `profiler run -- yes | head -1`', { timeout: 30_000 }, async () => {
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${CLI}" run --quiet -- yes | head -1; echo "status $?"`], { env: h.env });
    let out = '';
    sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((res) => sh.on('close', res));
    assert.equal(code, 0);
    assert.equal(out, 'y\nstatus 0\n');
    const run = await waitFor(async () => {
      const j = await showJson(h.env);
      return j.command[0] === 'yes' && j.status !== 'running' ? j : null;
    }, 15_000, 'the yes run to end');
    // Our end of its pipe is a socket: yes sees EPIPE or ECONNRESET (exit 1) or dies of SIGPIPE, but it ends.
    assert.equal(run.status, 'failed', 'yes stopped on its closed pipe');
    assert.deepEqual(guardsOf(run.id), []);
  });

  it('leaves no output guard behind after a normal run', async () => {
    const r = await runCli(['run', '--quiet', '--', 'sh', '-c', 'echo out; echo err >&2'], { env: h.env });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString(), 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.deepEqual(guardsOf((await showJson(h.env)).id), [], 'the guard exited before profiler run did');
  });

  it('reports a missing command with 127 and records the run as failed, with no device and no energy (nothing ran)', async () => {
    for (const pty of [[], ['--pty']]) {
      const r = await runCli(['run', ...pty, '--', 'no-such-command-xyz'], { env: h.env });
      assert.equal(r.code, 127);
      assert.match(r.stderr, /cannot run no-such-command-xyz/);
      const run = await showJson(h.env);
      assert.equal(run.status, 'failed');
      assert.equal(run.exitCode, 127);
      assert.deepEqual(run.devices, [], `${pty.join('')}: the idle GPUs are not charged to a command that never started`);
      assert.equal(run.energy.gpuJ, 0);
    }
  });

  it('rejects bad options with a clear message and runs nothing', async () => {
    for (const [args, msg] of [
      [['run', '--epochs', 'ten', '--', 'true'], /--epochs must be a positive integer/],
      [['run', '--epoch-pattern', 'Epoch (\\d+)', '--', 'true'], /epoch/i],
      [['run', '--bogus', '--', 'true'], /unknown option "--bogus"/],
      [['run'], /no command given/],
      [['run', '--meta', 'novalue', '--', 'true'], /KEY=VALUE/],
    ] as const) {
      const r = await runCli([...args], { env: h.env });
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  });
});
