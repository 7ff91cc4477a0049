import { it } from 'node:test';
import assert from 'node:assert/strict';
import { loadPty } from '../../../src/platform/exec.js';

it('loadPty says why when the pseudo-terminal package is missing, instead of throwing', async () => {
  const r = await loadPty('@lydell/node-pty-not-installed');
  assert.ok('error' in r);
  assert.match(r.error, /@lydell\/node-pty-not-installed could not be loaded \(/);
});

it('loadPty loads the installed package and runs a command on a terminal', async () => {
  const r = await loadPty();
  assert.ok(!('error' in r), 'error' in r ? r.error : '');
  const p = r.spawn('sh', ['-c', 'test -t 1 && printf tty'], { cols: 80, rows: 24, env: process.env });
  let out = '';
  p.onData((b) => (out += b.toString()));
  const exit = await new Promise<{ exitCode: number }>((resolve) => p.onExit(resolve));
  assert.equal(exit.exitCode, 0);
  assert.equal(out, 'tty', 'test -t 1 holds on the pty');
});
