import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DEMO, ROOT, runCli, showJson, testHome, type TestHome } from '../helpers/cli.js';

describe('profiler run --pty runs the command on a pseudo-terminal', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome();
  });
  after(async () => h.cleanup());

  it('the command sees a terminal on stdin, stdout and stderr; both streams reach our stdout; the exit status is kept', async () => {
    const probe = 'import sys; print(sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty()); sys.stderr.write("to-stderr\\n"); sys.exit(5)';
    const r = await runCli(['run', '--pty', '--quiet', '--', 'python3', '-c', probe], { env: h.env });
    assert.equal(r.code, 5, r.stderr);
    const out = r.stdout.toString();
    assert.match(out, /True True True\r\n/, 'a terminal translates \\n to \\r\\n, as the user sees it');
    assert.match(out, /to-stderr/);
    assert.equal(r.stderr, '', 'nothing of ours with --quiet');
    const run = await showJson(h.env);
    assert.equal(run.exitCode, 5);
    assert.equal(run.status, 'failed');
  });

  it('reads epochs off the terminal output (Keras style through the demo)', async () => {
    const r = await runCli(['run', '--pty', '--', 'python3', DEMO, '--epochs', '3', '--epoch-seconds', '0.3'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const run = await showJson(h.env);
    assert.equal(run.epochs.length, 3, JSON.stringify(run.epochs));
    assert.match(r.stderr, /3 epoch\(s\)/, 'the summary counts them');
  });

  it('forwards a signal to the command and returns 128 + its number', async () => {
    const r = await runCli(['run', '--pty', '--quiet', '--', 'sh', '-c', 'kill -TERM $$'], { env: h.env });
    assert.equal(r.code, 143);
    assert.equal((await showJson(h.env)).signal, 'SIGTERM');
  });

  it('a command that does not exist exits 127 with a clear line, as without --pty', async () => {
    const r = await runCli(['run', '--pty', '--', path.join(ROOT, 'no-such-command')], { env: h.env });
    assert.equal(r.code, 127);
    assert.match(r.stderr, /cannot run .*no-such-command: command not found \[PROF_ERR_SPAWN\]/);
  });
});
