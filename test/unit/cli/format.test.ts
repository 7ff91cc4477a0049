import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, describeError, errorJson, fmtProjected, wantsJson, printable } from '../../../src/cli/format.js';
import { notFound, usage } from '../../../src/errors.js';

test('describeError ends the first line with the code and keeps a usage text below it', () => {
  assert.equal(describeError(notFound('no run matches "x"')), 'no run matches "x" [PROF_ERR_NOT_FOUND]');
  assert.equal(describeError(usage('unknown command "x"\nusage: profiler <command>')), 'unknown command "x" [PROF_ERR_USAGE]\nusage: profiler <command>');
});

test('describeError gives what others threw a code too', () => {
  assert.equal(describeError(new Error('boom')), 'boom [PROF_ERR_INTERNAL]');
  assert.equal(describeError(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })), 'EACCES: permission denied [PROF_ERR_IO]');
});

test('errorJson is the API shape', () => {
  assert.deepEqual(errorJson(notFound('no runs recorded yet')), { error: { code: 'PROF_ERR_NOT_FOUND', message: 'no runs recorded yet' } });
  assert.deepEqual(errorJson('odd'), { error: { code: 'PROF_ERR_INTERNAL', message: 'odd' } });
});

test('wantsJson: --json before any --, never for run', () => {
  assert.equal(wantsJson(['show', 'last', '--json']), true);
  assert.equal(wantsJson(['import', '--json', '--gpu-csv', 'f']), true);
  assert.equal(wantsJson(['show', 'last']), false);
  assert.equal(wantsJson(['export', 'x', '--', '--json']), false);
  assert.equal(wantsJson(['run', '--', 'tool', '--json']), false);
  assert.equal(wantsJson([]), false);
});

describe('terminal output escapes control characters in user-supplied text', () => {
  it('shows ESC, BEL, CR, DEL, C1 and bidi overrides as escapes; keeps newlines, tabs and other Unicode', () => {
    assert.equal(printable('a\x1b[2Jb\x07c\rd\x7fe\x9bf'), 'a\\x1b[2Jb\\x07c\\x0dd\\x7fe\\x9bf');
    assert.equal(printable('evil\u202egnp.exe'), 'evil\\u202egnp.exe');
    assert.equal(printable('line1\n\tline2 — Ünïcødé 😀'), 'line1\n\tline2 — Ünïcødé 😀');
  });

  it('an error message carrying a control character cannot reach the terminal raw', () => {
    assert.doesNotMatch(describeError(new Error('bad \x1b]0;pwned\x07 title')), /[\x1b\x07]/);
  });
});

test('fmtProjected: a band with width is printed, a zero-width one says why there is none', () => {
  assert.equal(fmtProjected(1230, [1200, 1260]), '1.23 kJ (95 %: 1.20 kJ – 1.26 kJ)');
  assert.equal(fmtProjected(275.1, [275.1, 275.1]), `${fmtProjected(275.1, null)} (no epoch left to project)`);
});

test('bar: eighths of a block, full at the max, empty for nothing', () => {
  assert.equal(bar(10, 10, 4), '████');
  assert.equal(bar(5, 10, 4), '██');
  assert.equal(bar(1, 10, 4), '▍', '0.4 cells: 3 eighths');
  assert.equal(bar(0, 10), '');
  assert.equal(bar(null, 10), '');
  assert.equal(bar(5, 0), '');
  assert.equal(bar(20, 10, 2), '██', 'capped at the max');
});
