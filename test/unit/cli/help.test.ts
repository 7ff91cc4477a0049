import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argError, usageOf, wantsHelp } from '../../../src/cli/help.js';
import { prefixed } from '../../../src/cli/format.js';

const CLI = fileURLToPath(new URL('../../../src/cli/index.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'profiler-help-'));
const COMMANDS = ['run', 'daemon', 'runs', 'show', 'job', 'import', 'export', 'evaluate', 'estimate', 'rm', 'compare', 'watch'];

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Port 1: nothing here may reach a daemon.
  const env = { ...process.env, PROFILER_HOME: home, PROFILER_PORT: '1' };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
}

describe('every command answers --help and -h', () => {
  after(() => rmSync(home, { recursive: true, force: true }));

  for (const cmd of COMMANDS) {
    it(`${cmd} --help: exit 0, a Usage line, options and an example on stdout`, async () => {
      for (const flag of ['--help', '-h']) {
        const r = await cli([cmd, flag]);
        assert.equal(r.code, 0, `${cmd} ${flag}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^Usage: profiler ${cmd}\\b`), `${cmd} ${flag}`);
        assert.match(r.stdout, /\nOptions:\n|\n  [a-z]+ {2,}/, `${cmd}: options listed`);
        assert.match(r.stdout, /\nExample:\n {2}(PROFILER_PORT=\d+ )?profiler /, `${cmd}: an example`);
        assert.equal(r.stderr, '');
      }
    });
  }

  it('README shows every command\'s help exactly as the command prints it', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');
    for (const cmd of COMMANDS) {
      const r = await cli([cmd, '--help']);
      assert.ok(readme.includes(`\`\`\`\n${r.stdout.trimEnd()}\n\`\`\``), `README lacks "profiler ${cmd} --help" as printed (npm run readme-help)`);
    }
  });

  it('unknown options still fail, one line naming the option, then the usage (no unbalanced quote)', async () => {
    for (const cmd of COMMANDS) {
      const r = await cli(cmd === 'run' ? [cmd, '--bogus', '--', 'true'] : [cmd, '--bogus']);
      assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
      const first = r.stderr.split('\n')[0] ?? '';
      assert.match(first, /^profiler( run)?: [Uu]nknown option ["']--bogus["'].*\[PROF_ERR_USAGE\]$/, `${cmd}: ${first}`);
      assert.doesNotMatch(r.stderr, /-- "--bogus$/m, `${cmd}: no raw parser text`);
    }
  });

  it('--help after -- belongs to the command; profiler run reads its own options only', async () => {
    const r = await cli(['run', '--name', 'x', '--help', '--', 'true']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: profiler run /);
    assert.equal(wantsHelp(['--', '--help']), false);
    assert.equal(wantsHelp(['RUN', '-h']), true);
  });

  it('profiler help COMMAND is COMMAND --help; profiler help alone lists the commands', async () => {
    assert.deepEqual(await cli(['help', 'compare']), await cli(['compare', '--help']));
    const all = await cli(['help']);
    assert.equal(all.code, 0);
    for (const cmd of COMMANDS) assert.match(all.stdout, new RegExp(`^  ${cmd} `, 'm'), cmd);
  });

  it('profiler --version prints the version of package.json', async () => {
    const version = /"version"\s*:\s*"([^"]+)"/.exec(readFileSync('package.json', 'utf8'))?.[1];
    const r = await cli(['--version']);
    assert.deepEqual([r.code, r.stdout], [0, `profiler ${version}\n`]);
  });

  it('never prints a doubled prefix', async () => {
    const r = await cli(['daemon', 'restart']);
    assert.match(r.stderr, /^profiler daemon: expected start/);
    assert.equal(prefixed('profiler run: x'), 'profiler run: x');
    assert.equal(prefixed('cannot run y'), 'profiler: cannot run y');
    assert.equal(prefixed('profilers are'), 'profiler: profilers are');
  });

  it('a parse error keeps its first sentence and the usage lines', () => {
    const e = argError(Object.assign(new Error("Unknown option '--x'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--x\""), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }),
      'Usage: profiler x [--y]\n\nmore', 'x');
    assert.equal(e.message, "Unknown option '--x'\nUsage: profiler x [--y]\n(profiler x --help for more)");
    assert.equal(usageOf('a\nb\n\nc'), 'a\nb');
  });
});
