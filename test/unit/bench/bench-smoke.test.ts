import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { execCapture } from '../../../src/platform/exec.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('bench runner --quick prints a table and merges results by key', async () => {
  const out = path.join(dir, 'nested', 'results.json');
  const first = await execCapture(process.execPath, ['dist/bench/index.js', '--quick', '--out', out], { timeoutMs: 120_000 });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /median\s+min\s+max\s+unit\s+target\s+met/);
  assert.match(first.stdout, /matrix-profile\s+n=1000 m=10 threads=1/);

  // Keys written by other benchmarks survive a later run.
  const written = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Record<string, unknown>>;
  written['other/bench'] = { medianS: 1 };
  writeFileSync(out, JSON.stringify(written));
  const second = await execCapture(process.execPath, ['dist/bench/index.js', '--quick', '--only', 'matrix-profile'], {
    timeoutMs: 120_000,
    env: { ...process.env, BENCH_RESULTS: out },
  });
  assert.equal(second.code, 0, second.stderr);
  const merged = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Record<string, unknown>>;
  assert.deepEqual(merged['other/bench'], { medianS: 1 });
  const row = merged['matrix-profile/n=2000/m=10/threads=1'];
  assert.ok(row, 'quick run wrote its n=2000 single-thread row');
  assert.equal(row.quick, true);
  assert.equal(typeof row.median, 'number');
  assert.ok((row.min as number) <= (row.median as number) && (row.median as number) <= (row.max as number));
  // Every benchmark ran in the first pass and wrote its figures with their targets.
  for (const key of ['daemon/dropped/gpus=8/s=2', 'store/bytes/rows=20000', 'api/projection/p99/rps=200', 'import/mbps/size=2']) {
    assert.ok(written[key], `quick run wrote ${key}`);
  }
  assert.equal(written['daemon/dropped/gpus=8/s=2']!.median, 0, 'no sample lost between the fake nvidia-smi and the store');
  assert.deepEqual(written['store/bytes/rows=20000']!.target, { op: '<=', value: 32 });
});

it('bench runner rejects unknown arguments with a clear message', async () => {
  const r = await execCapture(process.execPath, ['dist/bench/index.js', '--fast'], { timeoutMs: 60_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown argument --fast/);
  const only = await execCapture(process.execPath, ['dist/bench/index.js', '--only', 'nope'], { timeoutMs: 60_000 });
  assert.equal(only.code, 1);
  assert.match(only.stderr, /unknown benchmark nope/);
});
