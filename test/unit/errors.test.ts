import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  asProfilerError, badEpochPattern, conflict, daemonStart, daemonStop, daemonUnreachable, ERROR_CODES, hasCode, internal,
  invalid, ioError, isErrorCode, notFound, ProfilerError, usage,
} from '../../src/errors.js';

interface Exception {
  file: string;
  fragment: string;
  why: string;
}

/** Raw errors that can never reach a user (internal invariants), each with why. */
const ALLOWED: Exception[] = [];

/** The checkout's root: tests run compiled under .test-build/, the sources live in the folder holding package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const src = join(dir, 'src');
    if (existsSync(join(dir, 'package.json')) && existsSync(src) && tsFiles(src).length > 0) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('no folder with package.json and src/*.ts above the test');
    dir = up;
  }
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const ROOT = repoRoot();
const SOURCES = tsFiles(join(ROOT, 'src')).map((p) => ({ file: relative(ROOT, p).split(sep).join('/'), text: readFileSync(p, 'utf8') }));
const lineOf = (text: string, at: number): number => text.slice(0, at).split('\n').length;

/** The rest of the line from `at`, and the next line too when this one ends opening a call (a wrapped message). */
function statementAt(text: string, at: number): string {
  const end = text.indexOf('\n', at);
  const line = text.slice(at, end < 0 ? undefined : end);
  if (end < 0 || !line.trimEnd().endsWith('(')) return line;
  const next = text.indexOf('\n', end + 1);
  return line + text.slice(end, next < 0 ? undefined : next);
}

/** Every match of `re` in src/ as file:line plus its statement (where a message fragment is looked for). */
function hits(re: RegExp): { where: string; file: string; after: string }[] {
  return SOURCES.flatMap(({ file, text }) =>
    [...text.matchAll(re)].map((m) => ({ where: `${file}:${lineOf(text, m.index)}`, file, after: statementAt(text, m.index) })),
  );
}

describe('every error in src/ carries a PROF_ERR_* code', () => {
  it('finds the sources', () => {
    assert.ok(SOURCES.some((s) => s.file === 'src/errors.ts'), `no src/errors.ts under ${ROOT}`);
  });

  it('throws no raw Error/TypeError/RangeError nor defines an uncoded error class (outside the two lists)', () => {
    const listed = ALLOWED;
    const raw = hits(/\b(?:throw|reject\()\s*new (?:Type|Range)?Error\(|\bclass \w+ extends (?:Type|Range)?Error\b/g)
      .filter((h) => !(h.file === 'src/errors.ts' && h.after.startsWith('class ProfilerError')));
    const used = new Set<Exception>();
    const bad = raw.filter((h) => {
      const entry = listed.find((e) => e.file === h.file && h.after.includes(e.fragment));
      if (entry) used.add(entry);
      return !entry;
    });
    assert.deepEqual(bad.map((h) => h.where), [], 'throw a ProfilerError (src/errors.ts helpers) instead');
    const stale = listed.filter((e) => !used.has(e)).map((e) => `${e.file}: ${e.fragment}`);
    assert.deepEqual(stale, [], 'converted or moved: delete these entries');
  });

  it('uses only codes of the catalogue', () => {
    const unknown = hits(/\bPROF_ERR_[A-Z0-9_]+/g).filter((h) => !isErrorCode(/^\w+/.exec(h.after)?.[0]));
    assert.deepEqual(unknown.map((h) => `${h.where} ${/^\w+/.exec(h.after)?.[0]}`), [], 'add the code to ERROR_CODES or use one of it');
  });

  it('never branches on an error message', () => {
    const re = /\.message\s*(?:===|!==|==|!=)|\.message\)?\.(?:includes|startsWith|endsWith|match|search)\(|\.test\([^)]*\.message\)/g;
    assert.deepEqual(hits(re).map((h) => h.where), [], 'branch on err.code (or an errno code, an HTTP status)');
  });
});

describe('the catalogue and its helpers', () => {
  it('documents each code', () => {
    for (const [code, what] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^PROF_ERR_[A-Z_]+$/);
      assert.ok(what.length > 10, code);
    }
    assert.equal(isErrorCode('PROF_ERR_INVALID'), true);
    assert.equal(isErrorCode('PROF_ERR_NOPE'), false);
    assert.equal(isErrorCode('toString'), false, 'own keys only');
  });

  it('gives each helper its code and status, and keeps the cause', () => {
    const cause = new Error('root');
    const cases: [ProfilerError, string, number][] = [
      [invalid('x', { cause }), 'PROF_ERR_INVALID', 400],
      [notFound('x', { cause }), 'PROF_ERR_NOT_FOUND', 404],
      [conflict('x', { cause }), 'PROF_ERR_CONFLICT', 409],
      [usage('x', { cause }), 'PROF_ERR_USAGE', 400],
      [badEpochPattern('x', { cause }), 'PROF_ERR_EPOCH_PATTERN', 400],
      [daemonUnreachable('x', { cause }), 'PROF_ERR_DAEMON_UNREACHABLE', 503],
      [daemonStart('x', { cause }), 'PROF_ERR_DAEMON_START', 503],
      [daemonStop('x', { cause }), 'PROF_ERR_DAEMON_STOP', 500],
      [ioError('x', { cause }), 'PROF_ERR_IO', 500],
      [internal('x', { cause }), 'PROF_ERR_INTERNAL', 500],
    ];
    for (const [e, code, status] of cases) {
      assert.ok(e instanceof ProfilerError);
      assert.deepEqual([e.code, e.status, e.cause, e.message], [code, status, cause, 'x']);
    }
    assert.equal(invalid('x').cause, undefined);
    assert.equal(new ProfilerError('PROF_ERR_LOCK', 'm', 500).status, 500);
  });

  it('hasCode tells a ProfilerError by its code only', () => {
    assert.equal(hasCode(usage('x'), 'PROF_ERR_USAGE'), true);
    assert.equal(hasCode(usage('x'), 'PROF_ERR_INVALID'), false);
    assert.equal(hasCode(Object.assign(new Error('x'), { code: 'PROF_ERR_USAGE' }), 'PROF_ERR_USAGE'), false);
  });

  it('asProfilerError classifies what others threw and keeps it as the cause', () => {
    const same = invalid('kept');
    assert.equal(asProfilerError(same), same);
    const parse = Object.assign(new TypeError("Unknown option '--x'"), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    const bug = new RangeError('boom');
    assert.deepEqual([asProfilerError(parse).code, asProfilerError(parse).message], ['PROF_ERR_USAGE', "Unknown option '--x'"]);
    assert.deepEqual([asProfilerError(enoent).code, asProfilerError(enoent).cause], ['PROF_ERR_IO', enoent]);
    assert.deepEqual([asProfilerError(bug).code, asProfilerError(bug).status], ['PROF_ERR_INTERNAL', 500]);
    assert.equal(asProfilerError('a string').message, 'a string');
    assert.equal(asProfilerError(null).code, 'PROF_ERR_INTERNAL');
  });
});
