import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createByteEpochDetector, createEpochContext, createEpochDetector, type EpochEvent } from '../../../src/epochs/index.js';
import { BUILTIN_NEEDLE } from '../../../src/epochs/prefilter.js';
import { seeded } from './feed-helpers.js';

const DIR = path.resolve('test/fixtures/epochs');
const FIXTURES = readdirSync(DIR).filter((f) => f.endsWith('.txt'));

/** Cuts `bytes` at random places, including inside multi-byte characters and between `\r` and `\n`. */
function chunks(bytes: Buffer, next: () => number, maxLen: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const len = 1 + Math.floor(next() * maxLen);
    out.push(bytes.subarray(at, at + len));
    at += len;
  }
  return out;
}

const bytesEvents = (parts: Buffer[], pattern?: string): EpochEvent[] => {
  const d = createByteEpochDetector({ pattern, context: createEpochContext() });
  return [...parts.flatMap((p) => d.feed(p)), ...d.end()];
};
const textEvents = (text: string, pattern?: string): EpochEvent[] => {
  const d = createEpochDetector({ pattern, context: createEpochContext() });
  return [...d.feed(text), ...d.end()];
};

test('the byte prefilter finds exactly what the text detector finds, on every fixture, however the bytes are cut', () => {
  let compared = 0;
  for (const file of FIXTURES) {
    const bytes = readFileSync(path.join(DIR, file));
    const want = textEvents(bytes.toString('utf8'));
    for (let seed = 1; seed <= 40; seed++) {
      const next = seeded(seed);
      const got = bytesEvents(chunks(bytes, next, seed % 4 === 0 ? 3 : 1 + Math.floor(next() * 4096)));
      assert.deepEqual(got, want, `${file}, seed ${seed}`);
      compared += want.length;
    }
  }
  assert.ok(compared > 100, `fixtures hold epoch markers (${compared} compared)`); // the comparison is not vacuous
});

test('a marker split across chunks, ending the stream without a newline, or after a long line is still found', () => {
  const text = 'x'.repeat(70_000) + '\nEpoch 1/3\r\nstep 1\rEpoch 2/3\n' + '\u00e9'.repeat(10) + '\nEpoch 3/3';
  const want = textEvents(text);
  assert.equal(want.length, 3);
  const bytes = Buffer.from(text, 'utf8');
  for (const cut of [1, 2, 5, 70_001, 70_003, bytes.length - 2]) {
    assert.deepEqual(bytesEvents([bytes.subarray(0, cut), bytes.subarray(cut)]), want, `cut at ${cut}`);
  }
});

test('a user pattern sees every line (no prefilter can know what it matches)', () => {
  const text = 'STEP one\nround 1 done\nround 2 done\n';
  const pattern = '^round (?<epoch>\\d+) done$';
  const want = textEvents(text, pattern);
  assert.equal(want.length, 2);
  assert.deepEqual(bytesEvents([Buffer.from(text.slice(0, 15)), Buffer.from(text.slice(15))], pattern), want);
});

test('every built-in marker in the fixtures holds the needle (else the prefilter would hide it)', () => {
  for (const file of FIXTURES) {
    const lines = readFileSync(path.join(DIR, file), 'utf8').split(/[\r\n]+/);
    for (const line of lines) {
      if (textEvents(line + '\n').length > 0) assert.ok(line.includes(BUILTIN_NEEDLE), `${file}: ${line}`);
    }
  }
});
