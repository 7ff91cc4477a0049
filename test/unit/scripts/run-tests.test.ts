import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../helpers/source-tree.js';

test('the test runner never runs a compiled test whose source was deleted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runner-'));
  try {
    mkdirSync(join(dir, '.test-build', 'test'), { recursive: true });
    mkdirSync(join(dir, 'test'));
    const body = (ok: boolean): string => `import { test } from 'node:test';\ntest('t', () => { if (!${ok}) throw new Error('stale'); });\n`;
    writeFileSync(join(dir, '.test-build', 'test', 'kept.test.js'), body(true));
    writeFileSync(join(dir, '.test-build', 'test', 'deleted.test.js'), body(false));
    writeFileSync(join(dir, 'test', 'kept.test.ts'), '');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    // Without the parent runner's context the nested runner reports in plain TAP.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'));
    const r = spawnSync(process.execPath, [join(repoRoot(), 'scripts', 'run-tests.mjs')], { cwd: dir, encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /skipping 1 compiled test\(s\) without a source: \.test-build\/test\/deleted\.test\.js/);
    assert.match(r.stdout, /# pass 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
