import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cachedConfig } from '../../../src/config/cache.js';
import { loadConfig } from '../../../src/config/load.js';
import { runCli } from '../../helpers/cli.js';

function home(): { dir: string; env: NodeJS.ProcessEnv; done(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'config-cache-'));
  return { dir, env: { PROFILER_HOME: dir }, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a saved configuration is used again only while every input is unchanged', () => {
  const h = home();
  try {
    const first = cachedConfig(h.env);
    assert.equal(first.config, null, 'nothing cached yet');
    const valid = loadConfig({ env: h.env });
    first.save(valid);
    assert.equal(statSync(path.join(h.dir, 'config-cache.json')).mode & 0o777, 0o600, 'it may hold the token');
    assert.deepEqual(cachedConfig(h.env).config, valid);
    assert.equal(cachedConfig({ ...h.env, PROFILER_PORT: '7999' }).config, null, 'a PROFILER_* variable changed');
    assert.equal(cachedConfig({ ...h.env, PROFILER_SOMETHING_NEW: '1' }).config, null, 'any PROFILER_* variable counts');
    writeFileSync(path.join(h.dir, 'config.json'), '{"sampleMs": 500}');
    assert.equal(cachedConfig(h.env).config, null, 'the home config changed');
    writeFileSync(path.join(h.dir, 'config-cache.json'), '{"key": "torn');
    assert.equal(cachedConfig(h.env).config, null, 'a torn cache is ignored, not an error');
  } finally {
    h.done();
  }
});

test('no home is created just to cache a configuration', () => {
  const h = home();
  try {
    const env = { PROFILER_HOME: path.join(h.dir, 'not-yet') };
    cachedConfig(env).save(loadConfig({ env }));
    assert.equal(existsSync(env.PROFILER_HOME), false);
  } finally {
    h.done();
  }
});

test('through the CLI: an invalid configuration is never cached, a fixed one is picked up, a broken one again refused', async () => {
  const h = home();
  try {
    mkdirSync(h.dir, { recursive: true });
    const env = { ...process.env, PROFILER_HOME: h.dir };
    const cfg = path.join(h.dir, 'config.json');
    writeFileSync(cfg, '{"sampleMs": "fast"}');
    for (let k = 0; k < 2; k++) {
      const bad = await runCli(['runs'], { env });
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /sampleMs/);
    }
    writeFileSync(cfg, '{"sampleMs": 500}');
    assert.equal((await runCli(['runs'], { env })).code, 0);
    assert.ok(existsSync(path.join(h.dir, 'config-cache.json')));
    assert.equal((await runCli(['runs'], { env })).code, 0, 'from the cache');
    writeFileSync(cfg, '{"sampleMs": -1}');
    const again = await runCli(['runs'], { env });
    assert.equal(again.code, 2, 'the cache does not hide the new, invalid file');
    assert.match(again.stderr, /sampleMs/);
  } finally {
    h.done();
  }
});
