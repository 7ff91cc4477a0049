import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, guardsOf, showJson, testHome, waitFor, type TestHome } from '../helpers/cli.js';

// Prints "line N" every 200 ms for ~4 s, then writes its own end time to a marker file and exits 0.
const SCRIPT = `let i = 0;
const t = setInterval(() => {
  process.stdout.write('line ' + i + '\\n');
  process.stderr.write('err ' + i + '\\n');
  if (++i === 20) { clearInterval(t); require('fs').writeFileSync(process.argv[1], String(Date.now())); }
}, 200);`;

describe('kill -9 of the profiler run client', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome();
    // Longer than the tolerance below, so an end at the check time cannot pass for the command's end.
    writeFileSync(path.join(h.home, 'config.json'), JSON.stringify({ orphanAfterMs: 4000 }));
  });
  after(async () => h.cleanup());

  it('the command runs to its end with its output reaching the terminal, and the run ends where the command did', async (t) => {
    const marker = path.join(h.home, 'command-ended');
    const outFile = path.join(h.home, 'stdout.txt');
    const errFile = path.join(h.home, 'stderr.txt');
    const [out, err] = [openSync(outFile, 'w'), openSync(errFile, 'w')];
    const client = spawn(process.execPath, [CLI, 'run', '--quiet', '--', process.execPath, '-e', SCRIPT, marker],
      { env: h.env, stdio: ['ignore', out, err] });
    closeSync(out);
    closeSync(err);
    const exited = new Promise<NodeJS.Signals | null>((res) => client.on('exit', (_c, s) => res(s)));
    await waitFor(() => readFileSync(outFile, 'utf8').includes('line 6\n'), 20_000, 'the command to print line 6');
    client.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    await waitFor(() => existsSync(marker), 20_000, 'the command to reach its end (it died with its client)');
    const realEnd = Number(readFileSync(marker, 'utf8'));
    const lines = (word: string): string => Array.from({ length: 20 }, (_, i) => `${word} ${i}\n`).join('');
    await waitFor(() => readFileSync(outFile, 'utf8') === lines('line'), 10_000, 'every stdout line, once, in order');
    await waitFor(() => readFileSync(errFile, 'utf8') === lines('err'), 10_000, 'every stderr line, once, in order');
    const run = await waitFor(async () => {
      const j = await showJson(h.env);
      return j.status !== 'running' ? j : null;
    }, 30_000, 'the orphaned run to be ended');
    assert.equal(run.status, 'interrupted');
    assert.equal(run.exitCode, null);
    const [startedAt, endedAt] = [Date.parse(run.startedAt), Date.parse(run.endedAt)];
    assert.ok(Math.abs(endedAt - realEnd) <= 1500, `ended ${endedAt - realEnd} ms after the command's real end`);
    const realS = (realEnd - startedAt) / 1000;
    assert.ok(Math.abs(run.durationS - realS) <= 1.5, `durationS ${run.durationS}, the command ran ${realS} s`);
    t.diagnostic(`recorded ${run.durationS} s, the command ran ${realS} s; the end is ${endedAt - realEnd} ms off`);
    assert.deepEqual(guardsOf(run.id), [], 'the guard is gone once the command is');
  });
});
