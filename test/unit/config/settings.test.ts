import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KindGuard, type TSchema } from '@sinclair/typebox';
import { loadConfig } from '../../../src/config/load.js';
import { envOf, ruleOf, SETTINGS } from '../../../src/config/schema.js';
import { ProfilerError } from '../../../src/errors.js';

// Every setting, tried with wrong values through each layer that can carry them.

/** The ranges of the former hand-written RULES table, word for word: the schema must keep them. */
const EXPECTED_RULES: Record<string, string> = {
  port: 'an integer between 0 and 65535',
  host: 'a non-empty string',
  token: 'a non-empty string or null',
  nvidiaSmi: 'a non-empty string',
  nvmlLibrary: 'a non-empty string',
  sampleMs: 'an integer between 10 and 60000',
  processSampleMs: 'an integer between 50 and 60000',
  computeAppsPollMs: 'an integer between 100 and 600000',
  inventoryTimeoutMs: 'an integer between 100 and 600000',
  watchdogIntervals: 'an integer between 2 and 1000',
  gapIntervals: 'a number between 1 and 1000',
  samplerLingerMs: 'an integer between 0 and 3600000',
  baselineMs: 'an integer between 0 and 600000',
  ramWattsPerGB: 'a number between 0 and 100',
  startHorizonMs: 'an integer between 60000 and 31622400000',
  clockSkewMs: 'an integer between 0 and 600000',
  procRoot: 'a non-empty string',
  powercapRoot: 'a non-empty string',
  daemonStartTimeoutMs: 'an integer between 100 and 120000',
  flushMs: 'an integer between 10 and 5000',
  orphanAfterMs: 'an integer between 1000 and 3600000',
  budgetCheckMs: 'an integer between 100 and 600000',
  budgetGraceMs: 'an integer between 0 and 3600000',
  carbonIntensityGPerKWh: 'a number between 0 and 5000',
  pue: 'a number between 1 and 10',
  countryIsoCode: 'a non-empty string or null',
  region: 'a non-empty string or null',
  metricsGraceS: 'an integer between 0 and 604800',
  nodeName: 'a non-empty string or null',
  'stabilization.gridMs': 'an integer between 0 and 600000',
  'stabilization.m': 'an integer between 3 and 10000',
  'stabilization.L': 'an integer between 1 and 10000',
  'stabilization.exclFactor': 'an integer between 1 and 100',
  'stabilization.nRegimes': 'an integer between 2 and 10',
  'stabilization.fixedEpoch': 'an integer between 1 and 100000',
  'stabilization.windowEpochs': 'an integer between 1 and 10000',
  'stabilization.maxPoints': 'an integer between 100 and 1000000',
};

const newHome = (): string => mkdtempSync(join(tmpdir(), 'profiler-settings-'));

/** A layer object setting one dotted key: { sampleMs: v } or { stabilization: { m: v } }. */
function layerOf(key: string, value: unknown): Record<string, unknown> {
  const [group, sub] = key.split('.');
  return sub === undefined || group === undefined ? { [key]: value } : { [group]: { [sub]: value } };
}

/** Wrong values for a schema: out of range both ways, fractional for integers, wrong types. */
function badValues(schema: TSchema): unknown[] {
  if (KindGuard.IsInteger(schema) || KindGuard.IsNumber(schema)) {
    const min = schema.minimum ?? 0;
    const max = schema.maximum ?? 0;
    const fraction = KindGuard.IsInteger(schema) ? [min + 0.5] : [];
    return [min - 1, max + 1, ...fraction, 'abc', '', true, null, [min]];
  }
  const extra = KindGuard.IsUnion(schema) ? [] : [null];
  return ['', 5, false, ['x'], ...extra];
}

/** The bad values an env variable can carry: numbers only (any non-empty string is a string; an empty one is unset). */
const badEnvValues = (schema: TSchema): string[] =>
  KindGuard.IsInteger(schema) || KindGuard.IsNumber(schema)
    ? badValues(schema).filter((v) => typeof v === 'number' || (typeof v === 'string' && v !== '')).map(String)
    : [];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
/** The value of a dotted setting in a loaded config. */
const valueAt = (config: unknown, key: string): unknown =>
  key.split('.').reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), config);

function rejects(fn: () => unknown, expected: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProfilerError, 'a ProfilerError');
    assert.equal(err.code, 'PROF_ERR_INVALID');
    assert.equal(err.message, expected);
    return true;
  });
}

const message = (where: string, key: string, got: unknown): string =>
  `${where}: setting "${key}" must be ${EXPECTED_RULES[key]} (got ${JSON.stringify(got)})`;

describe('config: the schema keeps every rule of the former RULES table', () => {
  it('has exactly the settings of the table', () => {
    assert.deepEqual(Object.keys(SETTINGS).sort(), Object.keys(EXPECTED_RULES).sort());
  });

  for (const [key, schema] of Object.entries(SETTINGS)) {
    it(`${key}: ${EXPECTED_RULES[key]}`, () => assert.equal(ruleOf(schema), EXPECTED_RULES[key]));
  }
});

describe('config: every setting rejects wrong values, naming the layer and the setting', () => {
  for (const [key, schema] of Object.entries(SETTINGS)) {
    it(`${key} in $PROFILER_HOME/config.json`, () => {
      const home = newHome();
      const file = join(home, 'config.json');
      for (const bad of badValues(schema)) {
        writeFileSync(file, JSON.stringify(layerOf(key, bad)));
        rejects(() => loadConfig({ env: { PROFILER_HOME: home } }), message(file, key, bad));
      }
    });

    it(`${key} on the command line`, () => {
      const home = newHome();
      for (const bad of badValues(schema)) {
        rejects(() => loadConfig({ env: { PROFILER_HOME: home }, overrides: layerOf(key, bad) }), message('command line', key, bad));
      }
    });

    const env = envOf(schema);
    const envBad = badEnvValues(schema);
    if (env === undefined || envBad.length === 0) continue;
    it(`${key} from ${env}`, () => {
      const home = newHome();
      for (const bad of envBad) {
        rejects(() => loadConfig({ env: { PROFILER_HOME: home, [env]: bad } }), message('environment', key, bad));
      }
    });
  }
});

describe('config: every numeric setting accepts its bounds', () => {
  for (const [key, schema] of Object.entries(SETTINGS)) {
    if (!KindGuard.IsInteger(schema) && !KindGuard.IsNumber(schema)) continue;
    it(`${key}: ${schema.minimum} and ${schema.maximum}`, () => {
      const home = newHome();
      for (const bound of [schema.minimum, schema.maximum]) {
        const c = loadConfig({ env: { PROFILER_HOME: home }, overrides: layerOf(key, bound) });
        assert.equal(valueAt(c, key), bound);
      }
    });
  }
});
