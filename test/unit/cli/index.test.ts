import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The CLI as compiled next to this test: none of these command lines gets as far as the daemon or the database.
const CLI = fileURLToPath(new URL('../../../src/cli/index.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'profiler-cli-'));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, PROFILER_HOME: home, PROFILER_PORT: '1' };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

describe('the CLI says one line per error, ending with its code', () => {
  after(() => rmSync(home, { recursive: true, force: true }));

  it('prints the code after the first line, the usage below, exit 2', async () => {
    const r = await cli(['bogus']);
    assert.equal(r.code, 2);
    const [first, second] = r.stderr.split('\n');
    assert.equal(first, 'profiler: unknown command "bogus" [PROF_ERR_USAGE]');
    assert.match(second ?? '', /^usage: profiler <command>/);
    assert.equal(r.stdout, '');
  });

  it('classifies each kind of mistake', async () => {
    for (const [args, line] of [
      [['show'], 'profiler: usage: profiler show RUN [--json] [PROF_ERR_USAGE]'],
      [['runs', '--limit', '0'], 'profiler: --limit must be a positive integer, got "0" [PROF_ERR_INVALID]'],
      [['daemon', 'restart'], 'profiler daemon: expected start | stop | status | run, got "restart" [PROF_ERR_USAGE]'],
      [['run', '--epochs', 'ten', '--', 'true'], 'profiler run: --epochs must be a positive integer, got "ten" [PROF_ERR_INVALID]'],
    ] as const) {
      const r = await cli([...args]);
      assert.deepEqual([r.code, r.stderr], [2, line + '\n'], args.join(' '));
    }
    const parse = await cli(['runs', '--bogus']);
    assert.match(parse.stderr, /^profiler: Unknown option '--bogus'.* \[PROF_ERR_USAGE\]\n$/);
    const pattern = await cli(['run', '--epoch-pattern', 'Epoch (\\d+)', '--', 'true']);
    assert.match(pattern.stderr, /no named group "epoch".* \[PROF_ERR_EPOCH_PATTERN\]\n$/);
  });

  it('with --json also writes the error as JSON on stdout; run takes no --json of its own', async () => {
    const r = await cli(['runs', '--limit', 'x', '--json']);
    assert.equal(r.code, 2);
    assert.deepEqual(JSON.parse(r.stdout), { error: { code: 'PROF_ERR_INVALID', message: '--limit must be a positive integer, got "x"' } });
    assert.match(r.stderr, /\[PROF_ERR_INVALID\]/);
    const run = await cli(['run', '--meta', 'novalue', '--', 'tool', '--json']);
    assert.deepEqual([run.code, run.stdout], [2, '']);
  });
});
