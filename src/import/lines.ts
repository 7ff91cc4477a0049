import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { invalid, type ProfilerError } from '../errors.js';

/** One non-blank line of a file: its 1-based number and whether it is the file's last non-blank line. */
export interface Line {
  text: string;
  no: number;
  last: boolean;
}

export const MAX_IMPORT_LINE = 64 * 1024;

/** The error every import problem becomes: `FILE:LINE: what is wrong`. */
export function lineError(file: string, no: number, what: string): ProfilerError {
  return invalid(`${file}:${no}: ${what}`);
}

/**
 * Streams a text file as batches of lines, one per 64 KiB chunk (an await per line would dominate the cost; 1 MiB
 * chunks kept so many lines alive that they raised an import's peak RSS by a third), in constant memory, holding one
 * line back so the caller knows which is the last: a cut-off row is only forgivable there.
 */
export async function* readLineBatches(file: string): AsyncGenerator<Line[]> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw invalid('not a regular file');
  } catch (err) {
    throw lineError(file, 0, `cannot open: ${(err as Error).message}`);
  }
  let no = 0;
  let rest = '';
  let held: { text: string; no: number } | null = null;
  let batch: Line[] = [];
  const take = (raw: string): void => {
    no++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    if (held) batch.push({ ...held, last: false });
    held = { text, no };
  };
  try {
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 })) {
      rest += chunk as string;
      let start = 0;
      let nl: number;
      while ((nl = rest.indexOf('\n', start)) >= 0) {
        take(rest.slice(start, nl));
        start = nl + 1;
      }
      rest = rest.slice(start);
      if (rest.length > MAX_IMPORT_LINE) throw lineError(file, no + 1, `line longer than ${MAX_IMPORT_LINE} characters`);
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    if ((err as ProfilerError).code === 'PROF_ERR_INVALID') throw err;
    throw lineError(file, no + 1, `cannot read: ${(err as Error).message}`);
  }
  if (rest !== '') take(rest);
  if (held) batch.push({ ...(held as { text: string; no: number }), last: true });
  if (batch.length > 0) yield batch;
}
