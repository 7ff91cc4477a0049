import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV_VARS, isLoopback, loadConfig } from '../../../src/config/load.js';
import { checkValue, SETTINGS } from '../../../src/config/schema.js';
import { assign, checkDefaults } from '../../../src/config/validate.js';
import { packageRoot } from '../../../src/platform/paths.js';

const newHome = (): string => mkdtempSync(join(tmpdir(), 'profiler-layers-'));
const withFile = (settings: unknown): { home: string; file: string } => {
  const home = newHome();
  const file = join(home, 'config.json');
  writeFileSync(file, JSON.stringify(settings));
  return { home, file };
};
const defaultsPath = join(packageRoot(), 'config', 'default.json');
const defaults = (): Record<string, unknown> => {
  const raw: unknown = JSON.parse(readFileSync(defaultsPath, 'utf8'));
  assert.ok(typeof raw === 'object' && raw !== null && !Array.isArray(raw));
  return { ...raw };
};
const stabilizationWithout = (key: string): Record<string, unknown> => {
  const st: unknown = defaults().stabilization;
  assert.ok(typeof st === 'object' && st !== null);
  const copy: Record<string, unknown> = { ...st };
  delete copy[key];
  return copy;
};

describe('config: default.json', () => {
  it('validates', () => {
    assert.doesNotThrow(() => checkDefaults(defaults(), defaultsPath));
  });

  it('restates exactly the defaults the schema documents', () => {
    const fromSchema: Record<string, unknown> = {};
    assign(fromSchema, Object.entries(SETTINGS).map(([key, schema]): [string, unknown] => [key, schema.default]));
    assert.deepEqual(defaults(), fromSchema);
  });

  it('every setting documents a description and a default', () => {
    for (const [key, schema] of Object.entries(SETTINGS)) {
      assert.ok(typeof schema.description === 'string' && schema.description.length > 0, `${key} has a description`);
      assert.ok('default' in schema, `${key} has a default`);
    }
  });

  it('a broken one fails clearly, naming the file and the setting', () => {
    const where = '/pkg/config/default.json';
    const without = (key: string): Record<string, unknown> => {
      const d = defaults();
      delete d[key];
      return d;
    };
    const cases: Array<[unknown, string]> = [
      [without('pue'), 'setting "pue" is missing'],
      [without('stabilization'), 'setting "stabilization" is missing'],
      [{ ...defaults(), stabilization: stabilizationWithout('m') }, 'setting "stabilization.m" is missing'],
      [{ ...defaults(), sampleMs: 5 }, 'setting "sampleMs" must be an integer between 10 and 60000 (got 5)'],
      [{ ...defaults(), token: '' }, 'setting "token" must be a non-empty string or null (got "")'],
      [{ ...defaults(), nope: 1 }, 'unknown setting "nope"'],
      [[1, 2], 'the settings must be a JSON object'],
      [null, 'the settings must be a JSON object'],
    ];
    for (const [raw, msg] of cases) assert.throws(() => checkDefaults(raw, where), { message: `${where}: ${msg}` });
  });

  it('may leave out the optional stabilization.maxPoints', () => {
    const stabilization = stabilizationWithout('maxPoints');
    assert.equal(checkDefaults({ ...defaults(), stabilization }, defaultsPath).stabilization.maxPoints, undefined);
  });
});

describe('config: the environment', () => {
  it('has the same PROFILER_* variables as before, derived from the schema', () => {
    assert.deepEqual(ENV_VARS, {
      PROFILER_PORT: 'port',
      PROFILER_HOST: 'host',
      PROFILER_TOKEN: 'token',
      PROFILER_NVIDIA_SMI: 'nvidiaSmi',
      PROFILER_NVML_LIBRARY: 'nvmlLibrary',
      PROFILER_SAMPLE_MS: 'sampleMs',
      PROFILER_PROCESS_SAMPLE_MS: 'processSampleMs',
      PROFILER_PROC_ROOT: 'procRoot',
      PROFILER_POWERCAP_ROOT: 'powercapRoot',
      PROFILER_METRICS_GRACE_S: 'metricsGraceS',
      PROFILER_NODE_NAME: 'nodeName',
    });
  });

  it('reads numbers from strings, and leaves strings as they are', () => {
    const c = loadConfig({ env: {
      PROFILER_HOME: newHome(), PROFILER_SAMPLE_MS: ' 250 ', PROFILER_PORT: '0', PROFILER_PROCESS_SAMPLE_MS: '1e3',
      PROFILER_NVIDIA_SMI: '123', PROFILER_TOKEN: '42', PROFILER_PROC_ROOT: 'true',
    } });
    assert.equal(c.sampleMs, 250);
    assert.equal(c.port, 0);
    assert.equal(c.processSampleMs, 1000);
    assert.equal(c.nvidiaSmi, '123');
    assert.equal(c.token, '42');
    assert.equal(c.procRoot, 'true');
  });

  it('counts an empty variable as unset and ignores PROFILER_* names that set nothing', () => {
    const c = loadConfig({ env: { PROFILER_HOME: newHome(), PROFILER_SAMPLE_MS: '', PROFILER_FLUSH_MS: 'x' } });
    assert.equal(c.sampleMs, 200);
    assert.equal(c.flushMs, 500);
  });

  it('reads numbers given as strings in a file or a flag too, as before', () => {
    const { home } = withFile({ gapIntervals: '2.5' });
    const c = loadConfig({ env: { PROFILER_HOME: home }, overrides: { pue: '1.2' } });
    assert.equal(c.gapIntervals, 2.5);
    assert.equal(c.pue, 1.2);
  });
});

describe('config: unknown keys', () => {
  it('rejects an unknown key in the home config and on the command line', () => {
    const { home, file } = withFile({ nope: 1 });
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: home } }), { message: `${file}: unknown setting "nope"` });
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: newHome() }, overrides: { nope: 1 } }),
      { message: 'command line: unknown setting "nope"' });
  });

  it('rejects "home": only PROFILER_HOME sets it', () => {
    const { home } = withFile({ home: '/elsewhere' });
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: home } }), /unknown setting "home"/);
  });

  it('rejects an unknown stabilization key, and a stabilization that is not an object', () => {
    const { home, file } = withFile({ stabilization: { nope: 1 } });
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: home } }), { message: `${file}: unknown setting "stabilization.nope"` });
    for (const bad of [5, null, [1], 'x']) {
      assert.throws(() => loadConfig({ env: { PROFILER_HOME: newHome() }, overrides: { stabilization: bad } }),
        { message: 'command line: "stabilization" must be an object' });
    }
  });

  it('ignores top-level keys starting with _ (comments)', () => {
    const { home } = withFile({ _comment: 'tuned for the lab', sampleMs: 300 });
    assert.equal(loadConfig({ env: { PROFILER_HOME: home } }).sampleMs, 300);
  });

  it('rejects a home config that is not an object', () => {
    const { home, file } = withFile([1]);
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: home } }), { message: `${file}: the settings must be a JSON object` });
  });
});

describe('config: nested layers', () => {
  it('merges stabilization key by key across the layers', () => {
    const { home } = withFile({ stabilization: { m: 20, gridMs: 100 } });
    const c = loadConfig({ env: { PROFILER_HOME: home }, overrides: { stabilization: { L: 5, gridMs: 200 } } });
    assert.deepEqual(c.stabilization, { gridMs: 200, m: 20, L: 5, exclFactor: 3, nRegimes: 2, fixedEpoch: 10, windowEpochs: 5, maxPoints: 4000 });
  });
});

describe('config: loopback only, unless a token is set', () => {
  it('knows the loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', 'localhost']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.org', '128.0.0.1']) assert.ok(!isLoopback(h), h);
  });

  it('listens on any loopback host without a token', () => {
    for (const host of ['127.0.0.2', '::1', 'localhost']) {
      assert.equal(loadConfig({ env: { PROFILER_HOME: newHome(), PROFILER_HOST: host } }).host, host);
    }
  });

  it('refuses a host beyond loopback without a token, from any layer', () => {
    const refusal = /refusing to listen on 0\.0\.0\.0 without PROFILER_TOKEN/;
    const { home } = withFile({ host: '0.0.0.0' });
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: home } }), refusal);
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: newHome() }, overrides: { host: '0.0.0.0' } }), refusal);
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: newHome(), PROFILER_HOST: '0.0.0.0', PROFILER_TOKEN: '' } }), refusal);
  });

  it('serves beyond loopback with a token from a file or the environment', () => {
    const { home } = withFile({ host: '0.0.0.0', token: 's3cret' });
    assert.equal(loadConfig({ env: { PROFILER_HOME: home } }).token, 's3cret');
    const c = loadConfig({ env: { PROFILER_HOME: newHome(), PROFILER_TOKEN: 't' }, overrides: { host: '10.0.0.1' } });
    assert.equal(c.host, '10.0.0.1');
  });
});

describe('config: checkValue (the export flags)', () => {
  it('reads a number from a flag and names the flag when it is wrong', () => {
    assert.equal(checkValue('pue', '1.5', '--pue'), 1.5);
    assert.equal(checkValue('carbonIntensityGPerKWh', '0', '--carbon-intensity'), 0);
    assert.throws(() => checkValue('pue', '0.5', '--pue'), { message: '--pue: setting "pue" must be a number between 1 and 10 (got "0.5")' });
    assert.throws(() => checkValue('carbonIntensityGPerKWh', 'lots', '--carbon-intensity'),
      { message: '--carbon-intensity: setting "carbonIntensityGPerKWh" must be a number between 0 and 5000 (got "lots")' });
    assert.throws(() => checkValue('nope', 1, '--x'), { message: '--x: unknown setting "nope"' });
  });
});
