import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunArgs } from '../../../src/cli/run-args.js';
import { ProfilerError } from '../../../src/errors.js';

const rejects = (argv: string[], code: string, message: RegExp): void => {
  assert.throws(() => parseRunArgs(argv), (e: unknown) => e instanceof ProfilerError && e.code === code && message.test(e.message));
};

test('a command line that does not parse is PROF_ERR_USAGE', () => {
  rejects(['--name'], 'PROF_ERR_USAGE', /--name needs a value/);
  rejects(['--bogus', '--', 'true'], 'PROF_ERR_USAGE', /unknown option "--bogus"/);
  rejects([], 'PROF_ERR_USAGE', /no command given/);
  rejects(['--quiet', '--'], 'PROF_ERR_USAGE', /no command given/);
});

test('an option with a bad value is PROF_ERR_INVALID', () => {
  rejects(['--epochs', 'ten', '--', 'true'], 'PROF_ERR_INVALID', /--epochs must be a positive integer, got "ten"/);
  rejects(['--epochs=0', '--', 'true'], 'PROF_ERR_INVALID', /--epochs/);
  rejects(['--gpus', 'a b', '--', 'true'], 'PROF_ERR_INVALID', /--gpus takes indices or UUIDs/);
  rejects(['--meta', 'novalue', '--', 'true'], 'PROF_ERR_INVALID', /KEY=VALUE/);
});

test('a bad --epoch-pattern is PROF_ERR_EPOCH_PATTERN', () => {
  rejects(['--epoch-pattern', String.raw`Epoch (\d+)`, '--', 'true'], 'PROF_ERR_EPOCH_PATTERN', /no named group "epoch"/);
});

test('good options still parse, and words after the command belong to it', () => {
  const a = parseRunArgs(['--name=x', '--epochs', '3', '--gpus', '0,1', '--meta', 'k=v', '-q', 'python', 'train.py', '--lr', '1']);
  assert.deepEqual(a, { name: 'x', epochs: 3, epochPattern: null, gpus: '0,1', meta: { k: 'v' }, quiet: true, pty: false, job: null, budget: null, command: ['python', 'train.py', '--lr', '1'], help: false });
  assert.equal(parseRunArgs(['--name', 'x', '-h']).help, true, '--help among the options: no command needed');
  assert.equal(parseRunArgs(['python', '--help']).help, false, "the command's own --help is its own");
  assert.equal(parseRunArgs(['--pty', '--', 'python', '--pty']).pty, true);
  assert.deepEqual(parseRunArgs(['--', 'python', '--pty']), { ...parseRunArgs(['python']), command: ['python', '--pty'] }, "the command's own --pty is its own");
  assert.equal(parseRunArgs(['--job', 'exp-7', '--', 'true']).job, 'exp-7');
  assert.equal(parseRunArgs(['--job=exp-8', 'true']).job, 'exp-8');
  assert.deepEqual(parseRunArgs(['--budget', '2.5kWh', '--on-budget=stop', 'true']).budget, { limitJ: 9e6, action: 'stop' });
  assert.deepEqual(parseRunArgs(['--budget=500J', 'true']).budget, { limitJ: 500, action: 'warn' }, 'warn by default');
});
