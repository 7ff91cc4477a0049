import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../src/cli/index.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'profiler-job-cli-'));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, PROFILER_HOME: home, PROFILER_PORT: '1' };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
}

describe('profiler job: its arguments and a Prometheus that answers wrongly', () => {
  let server: Server;
  let url = '';
  const answers: Record<string, unknown> = {};
  before(async () => {
    // Answers by the query's first word: an error for "bad", a non-vector for "matrix", HTML for the rest.
    server = createServer((req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      const key = Object.keys(answers).find((k) => q.includes(k));
      res.setHeader('content-type', key ? 'application/json' : 'text/html');
      res.end(key ? JSON.stringify(answers[key]) : '<html>not prometheus</html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    answers['"refused"'] = { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' };
    answers['"matrix"'] = { status: 'success', data: { resultType: 'matrix', result: [] } };
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    rmSync(home, { recursive: true, force: true });
  });

  it('refuses bad ids, ranges and URLs, and says when Prometheus cannot be asked', async () => {
    const cases: [string[], RegExp][] = [
      [['job'], /usage: profiler job ID .*\[PROF_ERR_USAGE\]/],
      [['job', 'a b', '--prometheus', url], /not a job id: "a b" \[PROF_ERR_INVALID\]/],
      [['job', 'j1', '--prometheus', url, '--range', '5x'], /--range takes a Prometheus duration .* \[PROF_ERR_INVALID\]/],
      [['job', 'j1', '--prometheus', 'prometheus:9090'], /--prometheus takes the server's URL .* \[PROF_ERR_INVALID\]/],
      [['job', 'j1', '--prometheus', 'http://127.0.0.1:1'], /no query answer from Prometheus at http:\/\/127\.0\.0\.1:1: .*\[PROF_ERR_PROMETHEUS\]/],
      [['job', 'j1', '--prometheus', url], /did not answer as Prometheus' query API .*\[PROF_ERR_PROMETHEUS\]/],
      [['job', 'refused', '--prometheus', url], /refused the query: parse error at char 3 \[PROF_ERR_PROMETHEUS\]/],
      [['job', 'matrix', '--prometheus', url], /did not answer as Prometheus' query API/],
      [['job', 'j1'], /no run of job "j1" on this node \[PROF_ERR_NOT_FOUND\]/],
      [['show', '--job', 'j1', 'last'], /usage: profiler show --job ID \[--json\] \(no RUN with --job\) \[PROF_ERR_USAGE\]/],
    ];
    for (const [args, line] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr.split('\n')[0] ?? '', line, args.join(' '));
    }
  });
});
