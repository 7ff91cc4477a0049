import { splitCsvLine } from '../samplers/nvidia-smi-parse.js';
import { parseLogTimestamp } from './timestamps.js';

/** Column positions of a psutil process log: `timestamp,cpu usage (%),memory usage (MB),…`. */
export interface MemLayout {
  n: number;
  t: number;
  cpu: number | null;
  mem: number;
}

export function detectMemLayout(header: string): MemLayout | string {
  const cells = splitCsvLine(header).map((c) => c.toLowerCase());
  const t = cells.indexOf('timestamp');
  const mem = cells.findIndex((c) => /^memory usage\s*\(mb\)$/.test(c) || c === 'memory_usage');
  const cpu = cells.findIndex((c) => /^cpu usage\s*\(%\)$/.test(c) || c === 'cpu_usage');
  if (t < 0 || mem < 0) return `expected a header with "timestamp" and "memory usage (MB)", got "${header.slice(0, 120)}"`;
  return { n: cells.length, t, cpu: cpu < 0 ? null : cpu, mem };
}

export interface MemRow {
  t: number;
  /** Null where psutil wrote "None". */
  memMB: number | null;
  cpuPct: number | null;
}

const NUM_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function num(cell: string | undefined, what: string): number | null | string {
  const c = (cell ?? '').trim();
  if (c === '' || c === 'None' || c === 'nan' || c === 'NaN') return null;
  if (!NUM_RE.test(c)) return `${what}: not a number: "${c}"`;
  return Number(c);
}

export function parseMemLine(line: string, l: MemLayout): MemRow | string {
  const cells = splitCsvLine(line);
  if (cells.length !== l.n) return `expected ${l.n} columns, got ${cells.length}`;
  const t = parseLogTimestamp(cells[l.t] ?? '');
  if (t === null) return `bad timestamp "${cells[l.t] ?? ''}"`;
  const memMB = num(cells[l.mem], 'memory usage (MB)');
  if (typeof memMB === 'string') return memMB;
  if (memMB !== null && memMB < 0) return `memory usage (MB): negative: ${memMB}`;
  const cpuPct = l.cpu === null ? null : num(cells[l.cpu], 'cpu usage (%)');
  if (typeof cpuPct === 'string') return cpuPct;
  return { t, memMB, cpuPct };
}

/** The study's epoch log (a Keras callback): `epoch,end_time` with `end_time` = Python `str(datetime.now())`. */
export interface EpochCsvRow {
  epoch: number;
  end: number;
}

export function checkEpochHeader(header: string): string | null {
  const cells = splitCsvLine(header);
  return cells.length === 2 && cells[0] === 'epoch' && cells[1] === 'end_time'
    ? null
    : `expected the header "epoch,end_time", got "${header.slice(0, 120)}"`;
}

export function parseEpochLine(line: string): EpochCsvRow | string {
  const cells = splitCsvLine(line);
  if (cells.length !== 2) return `expected 2 columns (epoch,end_time), got ${cells.length}`;
  const [e, ts] = cells as [string, string];
  if (!/^\d+$/.test(e)) return `epoch: not a whole number: "${e}"`;
  const end = parseLogTimestamp(ts);
  if (end === null) return `bad end_time "${ts}"`;
  return { epoch: Number(e), end };
}
