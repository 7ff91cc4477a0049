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
  assert.match(first.stdout, /median s/);
  assert.match(first.stdout, /matrix-profile\s+n=1000 m=10 threads=1/);

  // Keys written by other benchmarks survive a later run.
  const written = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Record<string, unknown>>;
  written['other/bench'] = { medianS: 1 };
  writeFileSync(out, JSON.stringify(written));
  const second = await execCapture(process.execPath, ['dist/bench/index.js', '--quick'], {
    timeoutMs: 120_000,
    env: { ...process.env, BENCH_RESULTS: out },
  });
  assert.equal(second.code, 0, second.stderr);
  const merged = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Record<string, unknown>>;
  assert.deepEqual(merged['other/bench'], { medianS: 1 });
  const row = merged['matrix-profile/n=2000/m=10/threads=1'];
  assert.ok(row, 'quick run wrote its n=2000 single-thread row');
  assert.equal(row.quick, true);
  assert.equal(typeof row.medianS, 'number');
  assert.ok((row.minS as number) <= (row.medianS as number) && (row.medianS as number) <= (row.maxS as number));
});

it('bench runner rejects unknown arguments with a clear message', async () => {
  const r = await execCapture(process.execPath, ['dist/bench/index.js', '--fast'], { timeoutMs: 60_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown argument --fast/);
});
