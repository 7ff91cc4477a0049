import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, errorJson, wantsJson } from '../../../src/cli/format.js';
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
