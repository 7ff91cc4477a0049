import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCell, NON_SETTING_ROWS, renderSettingsTable, TRAILING_ROWS } from '../../../src/config/docs.js';
import { envOf, SETTINGS } from '../../../src/config/schema.js';
import { packageRoot } from '../../../src/platform/paths.js';

/** The table lines of README.md between "## Configuration" and the next "##" heading. */
function readmeTable(): string[] {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  assert.ok(start >= 0, 'README.md has a "## Configuration" section');
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return section.split('\n').filter((l) => l.startsWith('|'));
}

const cellsOf = (line: string): string[] => line.slice(1, -1).split('|').map((c) => c.trim());
const unquote = (cell: string): string => cell.replace(/^`(.*)`$/, '$1');

describe('README: the Configuration table matches the schema', () => {
  const lines = readmeTable();
  const rows = lines.slice(2).map(cellsOf);
  const bySetting = new Map(rows.filter((r) => r[1]).map((r) => [unquote(r[1] ?? ''), r]));

  it('has the columns environment, setting, default, allowed, meaning', () => {
    assert.deepEqual(cellsOf(lines[0] ?? ''), ['environment', 'setting', 'default', 'allowed', 'meaning']);
  });

  for (const [key, schema] of Object.entries(SETTINGS)) {
    it(`lists ${key} with its env variable and default`, () => {
      const row = bySetting.get(key);
      assert.ok(row, `a row for ${key}`);
      const env = envOf(schema);
      assert.equal(row[0], env === undefined ? '' : `\`${env}\``);
      assert.equal(row[2], defaultCell(schema));
    });
  }

  it('names no setting the schema lacks, and only known variables in rows that are not settings', () => {
    const known = new Set([...NON_SETTING_ROWS, ...TRAILING_ROWS].map((r) => r[0]));
    for (const row of rows) {
      if (row[1]) assert.ok(unquote(row[1]) in SETTINGS, `README names "${row[1]}", which is not a setting`);
      else assert.ok(known.has(row[0] ?? ''), `README row ${row[0]} is neither a setting nor a known variable`);
    }
  });

  it('is the table renderSettingsTable() renders (paste its output to update the README)', () => {
    assert.equal(lines.join('\n'), renderSettingsTable(), `expected the README table to be:\n${renderSettingsTable()}`);
  });
});
