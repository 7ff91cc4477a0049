import { StringDecoder } from 'node:string_decoder';
import { MAX_LINE_CHARS } from './line-splitter.js';
import type { EpochDetector, EpochEvent } from './types.js';

/**
 * Every built-in marker holds this (Keras `Epoch 3/50`, Lightning `Epoch 2: …`, the Trainer's `'epoch': 1.0`,
 * `Num Epochs = 3`, `from epoch 1`): a line without it can start or end no epoch.
 */
export const BUILTIN_NEEDLE = 'poch';

/** Bytes of one unterminated line kept (MAX_LINE_CHARS characters of up to 4 UTF-8 bytes each). */
const MAX_CARRY_BYTES = MAX_LINE_CHARS * 4;
const LF = 0x0a;
const CR = 0x0d;

/** An epoch detector fed with the raw bytes of one output stream, as they were copied. */
export interface ByteEpochDetector {
  feed(chunk: Buffer): EpochEvent[];
  end(): EpochEvent[];
}

const lastBreak = (b: Buffer, before: number): number => Math.max(b.lastIndexOf(LF, before), b.lastIndexOf(CR, before));

function nextBreak(b: Buffer, from: number): number {
  const lf = b.indexOf(LF, from);
  const cr = b.indexOf(CR, from);
  return lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
}

/**
 * Hands `inner` only the whole lines that hold `needle`, found with native byte searches: the copy path of a chatty
 * command then decodes, splits and matches almost nothing (issue: 2.3× the bare wall time when every line was matched).
 * A line is the bytes between two of `\n`/`\r`, as the inner splitter cuts them, so what it sees of a candidate line is
 * what it would have seen of the whole stream. Without a needle (a user `--epoch-pattern` may match anything) every
 * byte is decoded and fed.
 */
export function prefilterEpochs(inner: EpochDetector, needle: string | null): ByteEpochDetector {
  if (needle === null) {
    const decoder = new StringDecoder('utf8');
    return { feed: (chunk) => inner.feed(decoder.write(chunk)), end: () => [...inner.feed(decoder.end()), ...inner.end()] };
  }
  const probe = Buffer.from(needle, 'utf8');
  let carry: Buffer[] = []; // the unterminated line so far, at most MAX_CARRY_BYTES
  let carried = 0;

  const keep = (bytes: Buffer): void => {
    const room = MAX_CARRY_BYTES - carried;
    if (room <= 0 || bytes.length === 0) return;
    const part = Buffer.from(bytes.subarray(0, room)); // a copy: the chunk itself is not held
    carry.push(part);
    carried += part.length;
  };
  const takeCarry = (tail: Buffer): Buffer => {
    const line = Buffer.concat([...carry, tail]);
    carry = [];
    carried = 0;
    return line;
  };

  return {
    feed(chunk) {
      const last = lastBreak(chunk, chunk.length - 1);
      if (last < 0) {
        keep(chunk);
        return [];
      }
      const events: EpochEvent[] = [];
      let start = 0;
      if (carried > 0) {
        // The line begun in earlier chunks ends here; the needle may straddle the chunk boundary.
        const end = nextBreak(chunk, 0);
        const line = takeCarry(chunk.subarray(0, end + 1));
        if (line.includes(probe)) events.push(...inner.feed(line.toString('utf8')));
        start = end + 1;
      }
      for (let at = chunk.indexOf(probe, start); at >= 0 && at < last; at = chunk.indexOf(probe, start)) {
        const from = Math.max(lastBreak(chunk, at) + 1, start);
        const end = nextBreak(chunk, at);
        events.push(...inner.feed(chunk.toString('utf8', from, end + 1)));
        start = end + 1;
      }
      keep(chunk.subarray(last + 1));
      return events;
    },
    end() {
      const line = takeCarry(Buffer.alloc(0));
      const events = line.includes(probe) ? inner.feed(line.toString('utf8')) : [];
      return [...events, ...inner.end()];
    },
  };
}
