import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileEpochPattern, createPatternDetector, namedGroups } from '../../../src/epochs/pattern.js';
import { ProfilerError } from '../../../src/errors.js';
import { brief, chunkings, feedAll, fixture } from './feed-helpers.js';

test('compileEpochPattern accepts a source or /source/flags with a named group epoch', () => {
  assert.ok(compileEpochPattern(String.raw`epoch=(?<epoch>\d+)`).test('epoch=3'));
  const re = compileEpochPattern(String.raw`/^EPOCH (?<epoch>\d+)/i`);
  assert.equal(re.exec('epoch 4')?.groups?.epoch, '4');
});

test('compileEpochPattern rejects bad input with a clear message', () => {
  assert.throws(() => compileEpochPattern(''), /empty.*named group "epoch"/);
  assert.throws(() => compileEpochPattern('   '), /empty/);
  assert.throws(() => compileEpochPattern('(?<epoch>\\d+'), /not a valid JavaScript regex/);
  assert.throws(() => compileEpochPattern(String.raw`Epoch (\d+)`), /no named group "epoch"/);
  assert.throws(() => compileEpochPattern(String.raw`Epoch (?<ep>\d+)`), /no named group "epoch"/);
  assert.throws(() => compileEpochPattern(String.raw`/(?<epoch>\d+)/g`), /flags "g" and "y"/);
  assert.throws(() => compileEpochPattern(String.raw`/(?<epoch>\d+)/q`), /not a valid JavaScript regex/);
  assert.throws(() => compileEpochPattern(null as unknown as string), /empty/);
});

test('every rejection is PROF_ERR_EPOCH_PATTERN; a regex the engine refuses is kept as the cause', () => {
  const bad = ['', '(?<epoch>\\d+', String.raw`Epoch (\d+)`, String.raw`/(?<epoch>\d+)/y`, null as unknown as string];
  for (const src of bad) {
    assert.throws(() => compileEpochPattern(src), (e: unknown) => e instanceof ProfilerError && e.code === 'PROF_ERR_EPOCH_PATTERN' && e.status === 400);
  }
  assert.throws(() => compileEpochPattern('(?<epoch>\\d+'), (e: unknown) => (e as Error).cause instanceof SyntaxError);
});

test('named groups are found outside escapes and character classes only', () => {
  assert.deepEqual(namedGroups(String.raw`(?<=x)(?<epoch>\d+)/(?<total>\d+)(?<!y)`), ['epoch', 'total']);
  assert.deepEqual(namedGroups(String.raw`\(?<epoch>\d+)`), []);
  assert.deepEqual(namedGroups(String.raw`[(?<epoch>]x`), []);
  assert.deepEqual(namedGroups(String.raw`[\]](?<epoch>\d)`), ['epoch']);
});

test('a user pattern starts each captured epoch once, printed as captured (0-based stays 0)', () => {
  const make = () => createPatternDetector(String.raw`epoch=(?<epoch>\d+)/(?<total>\d+)`);
  for (const events of chunkings(fixture('custom-zero-based.stdout.txt'), make)) {
    assert.deepEqual(brief(events), ['start 0/3 pattern', 'start 1/3 pattern', 'start 2/3 pattern']);
  }
});

test('the total is optional; captures that are not whole numbers are ignored', () => {
  const d = createPatternDetector(String.raw`ep (?<epoch>\S+)(?: of (?<total>\S+))?`);
  const events = feedAll(d, 'ep 1\nep x\nep 1.5\nep 2 of many\nep 3 of 7\nep 3 of 7\nep 4\n');
  assert.deepEqual(brief(events), ['start 1/? pattern', 'start 2/? pattern', 'start 3/7 pattern', 'start 4/7 pattern']);
});
