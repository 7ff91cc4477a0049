import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { OutputGuard } from '../../../src/cli/output-guard.js';
import { spawnProcess } from '../../../src/platform/exec.js';
import { pidAlive as alive } from '../../../src/platform/process.js';


/** A command printing to both pipes, and everything we read of its stdout once it closed. */
function command(): { out: Readable; err: Readable; read: Promise<string> } {
  const c = spawnProcess('sh', ['-c', 'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = c.stdout as Readable;
  const err = c.stderr as Readable;
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  err.on('data', () => {});
  const read = new Promise<string>((res) => out.on('close', () => res(text)));
  return { out, err, read };
}

test('the guard reads nothing while we live, and a released guard exits at once (none is left behind)', async () => {
  const c = command();
  const guard = OutputGuard.start(c.out, c.err, 'unit-run');
  assert.ok(guard, 'sh starts');
  c.out.resume();
  c.err.resume();
  assert.equal(await c.read, 'out 1\nout 2\nout 3\n', 'every byte comes to us, none to the guard');
  assert.ok(alive(guard.pid), 'it waits while we live');
  const t0 = performance.now();
  await guard.close();
  assert.ok(performance.now() - t0 < 1000, 'exits on "done" without being killed');
  assert.equal(alive(guard.pid), false);
});

test('a guard that cannot start is no guard: the output flows as without one', async () => {
  const c = command();
  assert.equal(OutputGuard.start(c.out, c.err, 'unit-run', '/nonexistent/sh'), null);
  c.out.resume();
  c.err.resume();
  assert.equal(await c.read, 'out 1\nout 2\nout 3\n');
});
