import type { EpochStore } from '../store/epochs.js';
import type { ImportStore } from '../store/imports.js';
import type { RunRow } from '../store/runs.js';
import type { SampleStore } from '../store/samples.js';
import { checkEpochHeader, detectMemLayout, parseEpochLine, parseMemLine } from './aux-csv.js';
import { lineError, readLineBatches } from './lines.js';

/** Rows per write transaction: a few ms of the write lock, so a live daemon's writes never wait long. */
export const BATCH_ROWS = 4000;

/** Streams a psutil process log into the run's process samples, a bounded batch per transaction. */
export async function importMem(file: string, rid: number, samples: SampleStore, cut: string[]): Promise<number> {
  let layout: ReturnType<typeof detectMemLayout> | null = null;
  let rows = 0;
  mem: for await (const batch of readLineBatches(file)) for (const line of batch) {
    if (layout === null) {
      layout = detectMemLayout(line.text);
      if (typeof layout === 'string') throw lineError(file, line.no, layout);
      continue;
    }
    if (typeof layout === 'string') break mem;
    const r = parseMemLine(line.text, layout);
    if (typeof r === 'string') {
      if (line.last && rows > 0) {
        cut.push(file);
        break mem;
      }
      throw lineError(file, line.no, r);
    }
    if (r.memMB === null) continue;
    // psutil MB are MiB (2^20 bytes); cpu_pct is NOT NULL in the store, 0 stands for "not logged".
    samples.addProc({ rid, t: r.t, rssBytes: r.memMB * 1048576, cpuPct: r.cpuPct ?? 0, nProcs: 1 });
    rows++;
    if (samples.pending >= BATCH_ROWS) samples.flush();
  }
  if (layout === null) throw lineError(file, 1, 'empty file: expected the psutil header "timestamp,cpu usage (%),memory usage (MB),…"');
  samples.flush();
  return rows;
}

/** Epochs as the study assigns samples: the first starts at the first GPU sample, each ends at its end_time. */
export async function importEpochs(
  file: string,
  run: RunRow,
  stores: { epochs: EpochStore; imports: ImportStore },
  cut: string[],
): Promise<{ n: number; lastEnd: number }> {
  let header = false;
  let n = 0;
  let prevEnd = run.started_at;
  const pending: { from: number; printed: number; end: number }[] = [];
  const flush = (): void => {
    stores.imports.write(() => {
      for (const p of pending) stores.epochs.close(run.rid, stores.epochs.open(run.rid, p.from, p.printed, 'import').epoch, p.end);
    });
    pending.length = 0;
  };
  ep: for await (const batch of readLineBatches(file)) for (const line of batch) {
    if (!header) {
      const bad = checkEpochHeader(line.text);
      if (bad) throw lineError(file, line.no, bad);
      header = true;
      continue;
    }
    const r = parseEpochLine(line.text);
    if (typeof r === 'string') {
      if (line.last && n > 0) {
        cut.push(file);
        break ep;
      }
      throw lineError(file, line.no, r);
    }
    if (r.end < prevEnd) {
      throw lineError(file, line.no, n === 0 ? 'end_time is before the first GPU sample' : 'end_time is before the previous epoch end');
    }
    pending.push({ from: prevEnd, printed: r.epoch, end: r.end });
    if (pending.length >= BATCH_ROWS / 4) flush();
    prevEnd = r.end;
    n++;
  }
  if (!header) throw lineError(file, 1, 'empty file: expected the header "epoch,end_time"');
  flush();
  return { n, lastEnd: prevEnd };
}
