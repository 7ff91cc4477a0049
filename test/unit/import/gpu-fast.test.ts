import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { lineText, readByteLines } from '../../../src/import/byte-lines.js';
import { detectLayout, parseGpuLine, type GpuLayout } from '../../../src/import/gpu-csv.js';
import { FastGpuRows } from '../../../src/import/gpu-fast.js';
import { readLineBatches } from '../../../src/import/lines.js';
import { seeded } from '../epochs/feed-helpers.js';

/** Data lines of a log and its layout (comment lines of the fixtures dropped). */
function logLines(file: string): { layout: GpuLayout; lines: string[] } {
  const all = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const layout = detectLayout(all[0]!) as GpuLayout;
  assert.notEqual(typeof layout, 'string', `${file}: ${String(layout)}`);
  return { layout, lines: layout.hasHeader ? all.slice(1) : all };
}

const LOGS = [
  ...readdirSync('test/fixtures/nvidia-smi').filter((f) => f.endsWith('.csv')).map((f) => path.join('test/fixtures/nvidia-smi', f)),
  ...readdirSync('test/fixtures/traces').filter((f) => f.includes('gpu-power')).map((f) => path.join('test/fixtures/traces', f)),
];

/** The fast path gives parseGpuLine's row exactly, or null (never a different row, never a row where it errs). */
function agrees(fast: FastGpuRows, layout: GpuLayout, line: string): boolean {
  const buf = Buffer.from(line);
  const got = fast.parse(buf, 0, buf.length);
  const want = parseGpuLine(line, layout);
  if (got === null) return false;
  assert.notEqual(typeof want, 'string', `fast path accepted a line the exact path rejects (${String(want)}): ${line}`);
  assert.deepEqual(got, want, line);
  return true;
}

test('fast path: every row of the real captures and of the study traces equals parseGpuLine, and it takes nearly all', () => {
  for (const file of LOGS) {
    const { layout, lines } = logLines(file);
    const fast = new FastGpuRows(layout);
    let taken = 0;
    for (const l of lines) if (agrees(fast, layout, l)) taken++;
    assert.ok(taken >= lines.length * 0.99, `${file}: fast path took ${taken} of ${lines.length}`);
  }
});

test('fast path: thousands of mutated rows either equal the exact path or fall back to it', () => {
  const { layout, lines } = logLines(LOGS.find((f) => f.includes('resnet50'))!);
  const fast = new FastGpuRows(layout);
  const rnd = seeded(7);
  const alphabet = '0123456789 .,-+:/TeE%WMiBNA[]x\t';
  const pieces = [' W', ' mW', ' %', '[N/A]', 'N/A', 'None', '', '1e3', '.5', '5.', '+3', '-0', '2023-03-08', '99:99:99', '1234567890123456'];
  let fallbacks = 0;
  for (let k = 0; k < 5000; k++) {
    let l = lines[Math.floor(rnd() * lines.length)]!;
    const at = Math.floor(rnd() * l.length);
    const r = rnd();
    if (r < 0.3) l = l.slice(0, at) + alphabet[Math.floor(rnd() * alphabet.length)] + l.slice(at + 1);
    else if (r < 0.5) l = l.slice(0, at) + l.slice(at + 1);
    else if (r < 0.7) l = l.slice(0, at) + alphabet[Math.floor(rnd() * alphabet.length)] + l.slice(at);
    else {
      const cells = l.split(',');
      cells[Math.floor(rnd() * cells.length)] = ` ${pieces[Math.floor(rnd() * pieces.length)]}`;
      l = cells.join(',');
    }
    if (!agrees(fast, layout, l)) fallbacks++;
  }
  assert.ok(fallbacks > 500 && fallbacks < 5000, `${fallbacks} fallbacks: both paths were exercised`);
});

test('fast path: special cells, units, fractions and the minute cache across a day change', () => {
  const layout = detectLayout('timestamp, name, uuid, power.draw [W], power.draw.instant [W], utilization.gpu [%], clocks.current.sm [MHz]') as GpuLayout;
  const fast = new FastGpuRows(layout);
  for (const l of [
    '2026/01/01 23:59:59.9, NVIDIA H100, GPU-1, 151.33 W, [N/A], 7 %, 1980 MHz',
    '2026/01/02 00:00:00.12345, NVIDIA H100, GPU-1, 0.5W, N/A, , 1980',
    '2026-01-02T00:00:01, [N/A], None, +.25 W, -0 W, 100 %, 5.',
    '2026/02/29 10:00:00.000, X, GPU-2, 1 W, 1 W, 1 %, 1',
    '2024/02/29 10:00:00.000, NVIDIA H100, GPU-2, 123456789012345 W, 1 W, 1 %, 1',
  ]) {
    const buf = Buffer.from(l);
    const got = fast.parse(buf, 0, buf.length);
    const want = parseGpuLine(l, layout);
    if (typeof want === 'string') assert.equal(got, null, `${l}: ${want}`);
    else assert.deepEqual(got, want, l);
  }
});

async function byteLinesOf(file: string): Promise<{ text: string; no: number; last: boolean }[]> {
  const out: { text: string; no: number; last: boolean }[] = [];
  for await (const b of readByteLines(file)) for (let i = 0; i < b.count; i++) out.push({ text: lineText(b, i), no: b.no[i]!, last: b.final && i === b.count - 1 });
  return out;
}

async function textLinesOf(file: string): Promise<{ text: string; no: number; last: boolean }[]> {
  const out: { text: string; no: number; last: boolean }[] = [];
  for await (const b of readLineBatches(file)) out.push(...b);
  return out;
}

test('readByteLines gives the lines, numbers and last flag of readLineBatches across chunk edges, CRLF and blank lines', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'byte-lines-'));
  try {
    const rnd = seeded(3);
    for (let v = 0; v < 12; v++) {
      let text = '';
      const target = [10, 70_000, 200_000][v % 3]!;
      while (text.length < target) {
        const r = rnd();
        text += r < 0.1 ? '\n' : r < 0.15 ? '  \r\n' : `${'x'.repeat(Math.floor(rnd() * 300))}${r < 0.5 ? '\r\n' : '\n'}`;
      }
      if (v % 2 === 1) text += 'tail without newline';
      if (v % 4 === 2) text += '\n\n  \n';
      const f = path.join(dir, `f${v}.txt`);
      writeFileSync(f, text);
      assert.deepEqual(await byteLinesOf(f), await textLinesOf(f), `variant ${v}`);
    }
    const long = path.join(dir, 'long.txt');
    writeFileSync(long, `ok\n${'y'.repeat(200 * 1024)}\n`);
    await assert.rejects(byteLinesOf(long), /long\.txt:2: line longer than 65536 characters/);
    await assert.rejects(byteLinesOf(path.join(dir, 'missing.txt')), /missing\.txt:0: cannot open/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the text reader rejects the same over-long line with the same FILE:LINE', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'byte-lines-'));
  try {
    const long = path.join(dir, 'long.txt');
    writeFileSync(long, `ok\n${'y'.repeat(200 * 1024)}\n`);
    await assert.rejects(textLinesOf(long), /long\.txt:2: line longer than 65536 characters/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
