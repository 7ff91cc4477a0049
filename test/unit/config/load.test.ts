import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';

const home = (): string => mkdtempSync(join(tmpdir(), 'profiler-cfg-'));

describe('config: default.json → home config.json → env → flags, validated once', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({ env: { PROFILER_HOME: home() } });
    assert.equal(c.port, 7460);
    assert.equal(c.sampleMs, 200);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.token, null);
    assert.equal(c.nvidiaSmi, 'nvidia-smi');
    assert.equal(c.ramWattsPerGB, 0.375);
    assert.equal(c.stabilization.m, 10);
  });

  it('layers home config, env and overrides in that order', () => {
    const h = home();
    writeFileSync(join(h, 'config.json'), JSON.stringify({ sampleMs: 500, port: 9000, stabilization: { windowEpochs: 3 } }));
    const c = loadConfig({ env: { PROFILER_HOME: h, PROFILER_SAMPLE_MS: '250' }, overrides: { port: 9100 } });
    assert.equal(c.sampleMs, 250);
    assert.equal(c.port, 9100);
    assert.equal(c.stabilization.windowEpochs, 3);
    assert.equal(c.stabilization.m, 10, 'nested defaults survive');
  });

  it('falls back to XDG_DATA_HOME for the home', () => {
    assert.equal(loadConfig({ env: { XDG_DATA_HOME: '/x/y' } }).home, '/x/y/train-profiler');
  });

  for (const [env, msg] of [
    [{ PROFILER_SAMPLE_MS: 'fast' }, /environment: setting "sampleMs" must be an integer between 10 and 60000 \(got "fast"\)/],
    [{ PROFILER_SAMPLE_MS: '1.5' }, /must be an integer/],
    [{ PROFILER_PORT: '70000' }, /between 0 and 65535/],
    [{ PROFILER_HOST: '0.0.0.0' }, /refusing to listen on 0\.0\.0\.0 without PROFILER_TOKEN/],
  ] as const) {
    it(`rejects ${JSON.stringify(env)} with a clear message`, () => {
      assert.throws(() => loadConfig({ env: { PROFILER_HOME: home(), ...env } }), msg);
    });
  }

  it('accepts a non-loopback host with a token', () => {
    const c = loadConfig({ env: { PROFILER_HOME: home(), PROFILER_HOST: '0.0.0.0', PROFILER_TOKEN: 's3cret' } });
    assert.equal(c.host, '0.0.0.0');
  });

  it('names the file and the key of a bad home config', () => {
    const h = home();
    writeFileSync(join(h, 'config.json'), '{"sampleMs": 5}');
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: h } }), /config\.json: setting "sampleMs" must be an integer between 10 and 60000 \(got 5\)/);
    writeFileSync(join(h, 'config.json'), '{"nope": 1}');
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: h } }), /unknown setting "nope"/);
    writeFileSync(join(h, 'config.json'), '{not json');
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: h } }), /not valid JSON/);
  });
});
