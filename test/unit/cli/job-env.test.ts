import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveJob } from '../../../src/cli/job-env.js';
import { ProfilerError } from '../../../src/errors.js';

test('--job wins over SLURM and torchelastic; the rank comes from RANK, else SLURM_PROCID', () => {
  const env = { SLURM_JOB_ID: '4242', SLURM_STEP_ID: '3', SLURM_PROCID: '5', TORCHELASTIC_RUN_ID: 'abc' };
  assert.deepEqual(resolveJob(env, 'exp-1', 'n1'), { id: 'exp-1', source: 'flag', host: 'n1', rank: 5, step: null });
  assert.deepEqual(resolveJob({ ...env, RANK: '2' }, 'exp-1', 'n1')?.rank, 2);
});

test('SLURM_JOB_ID with its step, else TORCHELASTIC_RUN_ID, else no job', () => {
  assert.deepEqual(resolveJob({ SLURM_JOB_ID: '4242', SLURM_STEP_ID: '0', SLURM_PROCID: '1', TORCHELASTIC_RUN_ID: 'x' }, null, 'n2'),
    { id: '4242', source: 'slurm', host: 'n2', rank: 1, step: '0' });
  assert.deepEqual(resolveJob({ SLURM_JOB_ID: '4242' }, null, 'n2'), { id: '4242', source: 'slurm', host: 'n2', rank: null, step: null });
  assert.deepEqual(resolveJob({ TORCHELASTIC_RUN_ID: 'run-9f3', RANK: '0' }, null, 'n3'),
    { id: 'run-9f3', source: 'torchelastic', host: 'n3', rank: 0, step: null });
  assert.equal(resolveJob({}, null, 'n4'), null);
});

test('variables that cannot be an id or a rank are passed over; a bad --job is PROF_ERR_INVALID', () => {
  // torchrun without --rdzv-id sets TORCHELASTIC_RUN_ID=none: not a job identity.
  assert.equal(resolveJob({ TORCHELASTIC_RUN_ID: 'none' }, null, 'h'), null);
  assert.equal(resolveJob({ SLURM_JOB_ID: '' , TORCHELASTIC_RUN_ID: 'has space' }, null, 'h'), null);
  assert.equal(resolveJob({ SLURM_JOB_ID: '1', RANK: '-1', SLURM_PROCID: 'x' }, null, 'h')?.rank, null);
  for (const bad of ['', 'a b', '-x', 'x'.repeat(129), 'a"b']) {
    assert.throws(() => resolveJob({}, bad, 'h'), (e: unknown) => e instanceof ProfilerError && e.code === 'PROF_ERR_INVALID' && /--job/.test(e.message));
  }
});
