import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importsOf, layerOf, repoRoot, tsFiles, type ImportEdge } from '../helpers/source-tree.js';

// The layering of ../docs/architecture.md, checked on every source file so that a change cannot quietly break it.
const FILES = tsFiles('src');
const EDGES = FILES.flatMap(importsOf);
const internal = (e: ImportEdge): boolean => e.to.startsWith('src/');

/** Layers each layer may import (besides itself and the top-level errors.ts). */
const ALLOWED: Record<string, string[]> = {
  platform: [],
  config: ['platform'],
  epochs: [],
  analysis: ['config'],
  store: ['analysis', 'platform', 'samplers'],
  samplers: ['platform', 'config', 'store'],
  runs: ['store', 'analysis', 'samplers', 'config', 'platform'],
  export: ['runs', 'store', 'analysis', 'import', 'config', 'platform'],
  import: ['runs', 'store', 'analysis', 'samplers', 'config', 'platform'],
  api: ['runs', 'export', 'store', 'analysis', 'samplers', 'config', 'platform'],
  daemon: ['api', 'runs', 'export', 'store', 'analysis', 'samplers', 'epochs', 'config', 'platform'],
  cli: ['daemon', 'runs', 'import', 'export', 'store', 'analysis', 'samplers', 'epochs', 'config', 'platform'],
  bench: ['daemon', 'runs', 'import', 'export', 'store', 'analysis', 'samplers', 'epochs', 'config', 'platform', 'api'],
  'index.ts': ['analysis', 'daemon', 'config', 'samplers'],
  'errors.ts': [],
};

/** Imports allowed only as `import type` (shapes, never behaviour). */
const TYPE_ONLY: [string, string][] = [['store', 'samplers'], ['samplers', 'store'], ['store', 'analysis']];

const show = (es: ImportEdge[]): string => es.map((e) => `${e.from}:${e.line} imports ${e.to}`).join('\n');

describe('architecture: the import graph', () => {
  it('knows every layer (a new folder needs a rule here and a paragraph in docs/architecture.md)', () => {
    const unknown = [...new Set(FILES.map(layerOf))].filter((l) => !(l in ALLOWED));
    assert.deepEqual(unknown, []);
  });

  it('every import points to an allowed layer', () => {
    const bad = EDGES.filter(internal).filter((e) => {
      const [a, b] = [layerOf(e.from), layerOf(e.to)];
      return a !== b && b !== 'errors.ts' && !(ALLOWED[a] ?? []).includes(b);
    });
    assert.equal(show(bad), '');
  });

  it('crossings that carry only shapes are type-only imports', () => {
    const bad = EDGES.filter(internal).filter((e) => !e.typeOnly &&
      TYPE_ONLY.some(([a, b]) => layerOf(e.from) === a && layerOf(e.to) === b));
    assert.equal(show(bad), '');
  });

  it('nothing imports cli/, and api/ imports nothing from daemon/', () => {
    const bad = EDGES.filter(internal).filter((e) =>
      (layerOf(e.to) === 'cli' && layerOf(e.from) !== 'cli') || (layerOf(e.from) === 'api' && layerOf(e.to) === 'daemon'));
    assert.equal(show(bad), '');
  });

  it('SQLite is reached only through store/ (the driver, prepared statements, transactions, pragmas)', () => {
    const driver = EDGES.filter((e) => e.to === 'better-sqlite3' && layerOf(e.from) !== 'store' && layerOf(e.from) !== 'bench');
    assert.equal(show(driver), '');
    const root = repoRoot();
    const sql = FILES.filter((f) => !['store', 'bench'].includes(layerOf(f))).flatMap((f) =>
      readFileSync(join(root, f), 'utf8').split('\n').flatMap((l, i) =>
        /\.prepare\(|\bdb\.exec\(|\.pragma\(|\.transaction\(|\b(SELECT|INSERT|UPDATE|DELETE)\s+.*\b(FROM|INTO|SET)\b/.test(l) ? [`${f}:${i + 1}: ${l.trim()}`] : []));
    assert.deepEqual(sql, []);
  });

  it('has no import cycle between files (value imports)', () => {
    const next = new Map<string, string[]>();
    for (const e of EDGES) if (internal(e) && !e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 2) return;
      if (state.get(f) === 1) {
        cycles.push([...path.slice(path.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 1);
      for (const t of next.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 2);
    };
    for (const f of FILES) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  it('catches a violation (the checker itself can fail)', () => {
    const fake: ImportEdge = { from: 'src/analysis/x.ts', to: 'src/store/db.ts', typeOnly: false, line: 1 };
    assert.equal((ALLOWED[layerOf(fake.from)] ?? []).includes(layerOf(fake.to)), false);
    assert.equal(layerOf('src/errors.ts'), 'errors.ts');
    const parsed = importsOf('test/unit/architecture.test.ts');
    assert.ok(parsed.some((e) => e.to === 'test/helpers/source-tree.ts'), 'relative imports resolve to repository paths');
  });
});
