import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { invalid, type ProfilerError } from '../errors.js';
import { lineError, MAX_IMPORT_LINE } from './lines.js';

/** The non-blank lines of one chunk as byte ranges of `buf` (a trailing `\r` excluded), with their 1-based numbers. */
export interface ByteLines {
  buf: Buffer;
  start: Int32Array;
  end: Int32Array;
  no: Int32Array;
  count: number;
  /** The file ends with this batch: its last line is the file's last non-blank line. */
  final: boolean;
}

const NL = 0x0a;
const CR = 0x0d;

function blank(buf: Buffer, s: number, e: number): boolean {
  for (let k = s; k < e; k++) {
    const c = buf[k]!;
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false;
  }
  return true;
}

/** The text of line k of a batch. */
export const lineText = (b: ByteLines, k: number): string => b.buf.toString('utf8', b.start[k], b.end[k]);

/**
 * Streams a file as batches of line ranges over its raw chunks, never decoding a line the caller does not ask for
 * (the GPU log importer parses most rows from the bytes). Holds the last non-blank line of each chunk back into the
 * next one, so the final batch's last line is the file's last non-blank line (a cut-off row is forgivable only there).
 */
export async function* readByteLines(file: string): AsyncGenerator<ByteLines> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw invalid('not a regular file');
  } catch (err) {
    throw lineError(file, 0, `cannot open: ${(err as Error).message}`);
  }
  let carry: Buffer = Buffer.alloc(0);
  let carryNo = 1; // number of the first line in carry
  let cap = 4096;
  let start: Int32Array = new Int32Array(cap);
  let end: Int32Array = new Int32Array(cap);
  let no: Int32Array = new Int32Array(cap);
  const add = (count: number, s: number, e: number, n: number, buf: Buffer): void => {
    if (count === cap) {
      cap *= 2;
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(cap);
        b.set(a);
        return b;
      };
      [start, end, no] = [grow(start), grow(end), grow(no)];
    }
    start[count] = s;
    end[count] = e > s && buf[e - 1] === CR ? e - 1 : e;
    no[count] = n;
  };
  /** Splits buf; outside EOF the last complete non-blank line and the unterminated tail are kept for the next batch. */
  const split = (buf: Buffer, atEof: boolean): { lines: ByteLines; keepFrom: number; keepNo: number; tail: number; tailNo: number } => {
    let count = 0;
    let s = 0;
    let n = carryNo;
    let lastStart = -1;
    let lastNo = n;
    for (let nl = buf.indexOf(NL, s); nl >= 0; nl = buf.indexOf(NL, s)) {
      if (!blank(buf, s, nl)) {
        add(count++, s, nl, n, buf);
        lastStart = s;
        lastNo = n;
      }
      s = nl + 1;
      n++;
    }
    const tail = buf.length - s;
    if (atEof) {
      if (!blank(buf, s, buf.length)) add(count++, s, buf.length, n, buf);
      return { lines: { buf, start, end, no, count, final: true }, keepFrom: buf.length, keepNo: n, tail, tailNo: n };
    }
    if (lastStart >= 0) count--;
    const keepFrom = lastStart >= 0 ? lastStart : s;
    return { lines: { buf, start, end, no, count, final: false }, keepFrom, keepNo: lastStart >= 0 ? lastNo : n, tail, tailNo: n };
  };
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 16 })) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      const b = split(buf, false);
      if (b.tail > MAX_IMPORT_LINE) throw lineError(file, b.tailNo, `line longer than ${MAX_IMPORT_LINE} characters`);
      carry = buf.subarray(b.keepFrom);
      carryNo = b.keepNo;
      if (b.lines.count > 0) yield b.lines;
    }
  } catch (err) {
    if ((err as ProfilerError).code === 'PROF_ERR_INVALID') throw err;
    throw lineError(file, carryNo, `cannot read: ${(err as Error).message}`);
  }
  yield split(carry, true).lines;
}
