import type { EpochDetector, EpochEvent } from './types.js';

/** Longest line kept; the rest of a longer line is dropped (epoch markers sit near a line's start). */
export const MAX_LINE_CHARS = 16 * 1024;

// CSI, OSC (BEL or ST terminated), other ESC sequences, 8-bit CSI.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]|\x9b[0-?]*[ -/]*[@-~]/g;
// Remaining C0 controls and DEL: they never belong to an epoch marker.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;
const BREAKS = /[\r\n\b]/g;

/** Removes ANSI escape sequences and stray control characters (tab kept). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, '');
}

export interface LineSplitter {
  /** Returns the clean, non-empty lines that this chunk completes. */
  push(chunk: string): string[];
  /** Returns the last unterminated line, if any. */
  flush(): string[];
  /** Characters currently held for the unterminated line (bounded by maxLineChars). */
  readonly pendingLength: number;
}

/**
 * Splits a stream on `\n`, `\r\n` and bare `\r` (progress bars redraw with `\r`); a backspace erases the previous
 * character of the pending line, as a terminal would, so Keras' `\b…\b\r` redraws leave no residue.
 */
export function createLineSplitter(opts: { maxLineChars?: number } = {}): LineSplitter {
  const max = opts.maxLineChars ?? MAX_LINE_CHARS;
  let pending = '';
  let dropped = 0; // characters of the current line beyond `max` that were not kept

  const append = (text: string): void => {
    const room = max - pending.length;
    if (text.length <= room) pending += text;
    else {
      pending += text.slice(0, Math.max(room, 0));
      dropped += text.length - Math.max(room, 0);
    }
  };
  const take = (out: string[]): void => {
    const line = stripAnsi(pending);
    pending = '';
    dropped = 0;
    if (line.trim() !== '') out.push(line);
  };

  return {
    push(chunk) {
      const out: string[] = [];
      BREAKS.lastIndex = 0;
      let from = 0;
      for (let m = BREAKS.exec(chunk); m !== null; m = BREAKS.exec(chunk)) {
        append(chunk.slice(from, m.index));
        from = m.index + 1;
        if (m[0] === '\b') {
          if (dropped > 0) dropped -= 1;
          else pending = pending.slice(0, -1);
        } else take(out);
      }
      append(chunk.slice(from));
      return out;
    },
    flush() {
      const out: string[] = [];
      take(out);
      return out;
    },
    get pendingLength() {
      return pending.length;
    },
  };
}

/** Looks at one clean line at a time; one per framework. */
export interface LineMatcher {
  line(text: string): EpochEvent[];
}

/** Runs matchers over the lines of one stream, sharing one splitter. */
export function detectorFromMatchers(matchers: readonly LineMatcher[], opts: { maxLineChars?: number } = {}): EpochDetector {
  const splitter = createLineSplitter(opts);
  const run = (lines: string[]): EpochEvent[] => {
    const events: EpochEvent[] = [];
    for (const line of lines) for (const matcher of matchers) events.push(...matcher.line(line));
    return events;
  };
  return {
    feed: (chunk) => run(splitter.push(chunk)),
    end: () => run(splitter.flush()),
  };
}
