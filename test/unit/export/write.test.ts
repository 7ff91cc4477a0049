import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ExportPart } from '../../../src/export/index.js';
import { csvCell } from '../../../src/export/tabular.js';
import { planPaths, writeParts } from '../../../src/export/write.js';
import { ProfilerError } from '../../../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'export-write-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const part = (name: string): ExportPart => ({ name, contentType: 'text/csv', binary: false, chunks: async function* () { yield ''; } });

test('one part goes to the path given, or inside it when it is a folder', () => {
  assert.deepEqual(planPaths([part('a.csv')], join(tmp, 'x.csv')), [join(tmp, 'x.csv')]);
  assert.deepEqual(planPaths([part('a.csv')], tmp), [join(tmp, 'a.csv')]);
  assert.deepEqual(planPaths([part('a.csv')], join(tmp, 'new') + '/'), [join(tmp, 'new', 'a.csv')]);
});

test('several parts: a folder, or a file-name prefix in the prefix folder', () => {
  assert.deepEqual(planPaths([part('g.csv'), part('e.csv')], join(tmp, 'run7')), [join(tmp, 'run7-g.csv'), join(tmp, 'run7-e.csv')]);
  assert.deepEqual(planPaths([part('g.csv')].concat(part('e.csv')), join(tmp, 'run7_')), [join(tmp, 'run7_g.csv'), join(tmp, 'run7_e.csv')]);
});

test('generated names that could leave the folder are refused', () => {
  for (const bad of ['../evil.csv', 'a/b.csv', '..', '.hidden', 'x..csv', '']) {
    assert.throws(() => planPaths([part(bad)], tmp), /unsafe output name/, bad);
  }
});

test('CSV cells are quoted only when they must be; null is empty', () => {
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(1.5), '1.5');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
});

const text = (name: string, body: string): ExportPart => ({ name, contentType: 'text/csv', binary: false, chunks: async function* () { yield body; } });

test('an export into folders that do not exist creates them (mkdir -p)', async () => {
  const out = join(tmp, 'deep', 'er', 'run.csv');
  assert.deepEqual(await writeParts([text('a.csv', 'x\n')], { out, force: false }, new PassThrough()), [out]);
  assert.equal(readFileSync(out, 'utf8'), 'x\n');
  const prefix = join(tmp, 'other', 'run7');
  const paths = await writeParts([text('g.csv', 'g'), text('e.csv', 'e')], { out: prefix, force: false }, new PassThrough());
  assert.deepEqual(paths.map((p) => readFileSync(p, 'utf8')), ['g', 'e']);
});

test('a folder that cannot be made is one PROF_ERR_IO line saying why', async () => {
  writeFileSync(join(tmp, 'afile'), '');
  await assert.rejects(writeParts([text('a.csv', 'x')], { out: join(tmp, 'afile', 'sub', 'x.csv'), force: false }, new PassThrough()),
    (e: unknown) => e instanceof ProfilerError && e.code === 'PROF_ERR_IO' && /cannot create the folder .*afile.* a file is in the way$/.test(e.message));
});
