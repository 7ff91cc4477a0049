import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema, envOf, ruleOf, SETTINGS } from './schema.js';

// The README "Configuration" table, rendered from the schema (test/unit/config/readme-table.test.ts keeps them equal).

/** A table row: environment variable, setting, default, allowed values, meaning (markdown cells). */
export type Row = [env: string, setting: string, def: string, allowed: string, meaning: string];

const code = (s: string): string => `\`${s}\``;

/** Rows for variables that are not settings: the home the layers are read from, and the daemon's log level. */
export const NON_SETTING_ROWS: readonly Row[] = [
  [code('PROFILER_HOME'), '', `${code('$XDG_DATA_HOME/train-profiler')}, else ${code('~/.local/share/train-profiler')}`, '',
    String(ConfigSchema.properties.home.description)],
];
export const TRAILING_ROWS: readonly Row[] = [
  [code('PROFILER_LOG_LEVEL'), '', code('info'), '', 'daemon log level'],
];

/** A setting's default as its table cell: `unset` for null, a string as it is, else the JSON value. */
export function defaultCell(schema: TSchema): string {
  const d: unknown = schema.default;
  return d === null ? 'unset' : code(typeof d === 'string' ? d : JSON.stringify(d));
}

/** The table row of one setting. */
export function settingRow(key: string, schema: TSchema): Row {
  const env = envOf(schema);
  return [env === undefined ? '' : code(env), code(key), defaultCell(schema), ruleOf(schema), String(schema.description)];
}

const line = (cells: readonly string[]): string => `|${cells.map((c) => (c === '' ? ' ' : ` ${c} `)).join('|')}|`;

/** The markdown table of every setting, in the schema's order, between the home and the log level. */
export function renderSettingsTable(): string {
  const rows = [...NON_SETTING_ROWS, ...Object.entries(SETTINGS).map(([k, s]) => settingRow(k, s)), ...TRAILING_ROWS];
  const head = ['| environment | setting | default | allowed | meaning |', '|---|---|---|---|---|'];
  return [...head, ...rows.map(line)].join('\n');
}
