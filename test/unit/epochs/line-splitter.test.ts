import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLineSplitter, MAX_LINE_CHARS, stripAnsi } from '../../../src/epochs/line-splitter.js';

test('splits on \\n, \\r\\n and bare \\r, keeping the unterminated tail for flush', () => {
  const s = createLineSplitter();
  assert.deepEqual(s.push('a\nb\r\nc\rd'), ['a', 'b', 'c']);
  assert.deepEqual(s.flush(), ['d']);
  assert.deepEqual(s.flush(), []);
});

test('a \\r\\n cut between chunks yields no extra line', () => {
  const s = createLineSplitter();
  assert.deepEqual(s.push('a\r'), ['a']);
  assert.deepEqual(s.push('\nb\n'), ['b']);
});

test('blank and whitespace-only lines are dropped', () => {
  assert.deepEqual(createLineSplitter().push('\n\n   \r\t\nx\n'), ['x']);
});

test('a backspace erases the previous character, as on a terminal', () => {
  const s = createLineSplitter();
  assert.deepEqual(s.push('abc\b\bX\n'), ['aX']);
  // Keras: bar, backspaces over the whole bar, then \r and the next frame.
  assert.deepEqual(s.push(' 1/5 [==>...]' + '\b'.repeat(13) + '\r 2/5 [====>.]' + '\b'.repeat(13) + '\rEpoch 2/5\n'), [
    'Epoch 2/5',
  ]);
  assert.deepEqual(s.push('\b\b\bok\n'), ['ok']);
});

test('ANSI sequences and stray control characters are stripped', () => {
  assert.equal(stripAnsi('\x1b[1mEpoch 1/2\x1b[0m'), 'Epoch 1/2');
  assert.equal(stripAnsi('\x1b[2K\x1b[1AEpoch 0/9'), 'Epoch 0/9');
  assert.equal(stripAnsi('\x1b]8;;http://x\x07link\x1b]8;;\x07'), 'link');
  assert.equal(stripAnsi('a\x00b\x07c\x1b(Bd\te'), 'abcd\te');
  assert.deepEqual(createLineSplitter().push('\x1b[32m━━\x1b[0m\n\x1b[A\n'), ['━━']);
});

test('a never-ending line keeps at most maxLineChars and then its head', () => {
  const s = createLineSplitter();
  const block = 'Epoch 1/2' + ' '.repeat(1000);
  for (let i = 0; i < 5000; i++) s.push(block);
  assert.ok(s.pendingLength <= MAX_LINE_CHARS, `pending ${s.pendingLength}`);
  const [line] = s.push('\n');
  assert.equal(line?.length, MAX_LINE_CHARS);
  assert.ok(line?.startsWith('Epoch 1/2 '));
  assert.equal(s.pendingLength, 0);
});

test('backspaces first erase dropped characters of an overlong line', () => {
  const s = createLineSplitter({ maxLineChars: 4 });
  assert.deepEqual(s.push('abcdef\b\b\bX\n'), ['abcX']);
  assert.deepEqual(s.push('abcd\b\bZ\n'), ['abZ']);
});
