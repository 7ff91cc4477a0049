import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { invalid, type ProfilerError } from '../errors.js';
import { checkValue, ConfigSchema, GROUPS, SettingsSchema, type Config, type Settings } from './schema.js';

/** A layer's settings after validation, by dotted name. */
export type Checked = Array<[key: string, value: unknown]>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates one layer (a parsed file, the environment, the flags); keys starting with `_` are comments. */
export function checkLayer(layer: unknown, where: string): Checked {
  if (!isRecord(layer)) throw invalid(`${where}: the settings must be a JSON object`);
  const out: Checked = [];
  for (const [key, value] of Object.entries(layer)) {
    if (key.startsWith('_')) continue;
    if (!GROUPS.has(key)) {
      out.push([key, checkValue(key, value, where)]);
      continue;
    }
    if (!isRecord(value)) throw invalid(`${where}: "${key}" must be an object`);
    for (const [sub, v] of Object.entries(value)) out.push([`${key}.${sub}`, checkValue(`${key}.${sub}`, v, where)]);
  }
  return out;
}

/** Sets each checked value on target, into its group for a dotted name. */
export function assign(target: Record<string, unknown>, checked: Checked): void {
  for (const [key, value] of checked) {
    const [group, sub] = key.split('.');
    if (group === undefined || sub === undefined) {
      target[key] = value;
      continue;
    }
    const inner = target[group];
    target[group] = { ...(isRecord(inner) ? inner : {}), [sub]: value };
  }
}

/** The dotted setting name of a TypeBox error path ("/stabilization/m" → "stabilization.m"). */
const settingAt = (path: string): string => path.slice(1).split('/').join('.');

/** Why value is not the whole schema, naming the setting of the first error (a missing one, in practice). */
function wholeError(schema: TSchema, value: unknown, where: string): ProfilerError {
  const error = Value.Errors(schema, value).First();
  if (error === undefined) return invalid(`${where}: the settings are invalid`);
  const what = error.value === undefined ? 'is missing' : `is invalid: ${error.message}`;
  return invalid(`${where}: setting "${settingAt(error.path)}" ${what}`);
}

/** Validates the defaults (config/default.json): every setting valid and none missing. */
export function checkDefaults(raw: unknown, where: string): Settings {
  const settings: Record<string, unknown> = {};
  assign(settings, checkLayer(raw, where));
  if (!Value.Check(SettingsSchema, settings)) throw wholeError(SettingsSchema, settings, where);
  return settings;
}

/** The layered settings and the home, as one Config (every layer already checked: this only gives the type). */
export function toConfig(settings: Record<string, unknown>, home: string, where: string): Config {
  const config = { ...settings, home };
  if (!Value.Check(ConfigSchema, config)) throw wholeError(ConfigSchema, config, where);
  return config;
}
