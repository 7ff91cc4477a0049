import type { GpuSample } from './types.js';

/** Fields of the long-lived GPU stream, in the order they are requested. */
export const GPU_QUERY_FIELDS: readonly string[] = Object.freeze([
  'timestamp',
  'uuid',
  'index',
  'power.draw',
  'power.draw.instant',
  'power.limit',
  'utilization.gpu',
  'utilization.memory',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'clocks.sm',
]);

/** Drivers older than 530 reject power.draw.instant (`Field "…" is not a valid field to query.`, exit 2). */
export const GPU_QUERY_FIELDS_NO_INSTANT: readonly string[] = Object.freeze(
  GPU_QUERY_FIELDS.filter((f) => f !== 'power.draw.instant'),
);

/** Query names that nvidia-smi prints under another (canonical) header name. */
export const FIELD_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  'clocks.sm': 'clocks.current.sm',
  'clocks.gr': 'clocks.current.graphics',
  'clocks.mem': 'clocks.current.memory',
  'clocks.video': 'clocks.current.video',
  gpu_name: 'name',
  gpu_uuid: 'uuid',
  gpu_bus_id: 'pci.bus_id',
  'power.draw.avg': 'power.draw.average',
});

/** Every special value nvidia-smi prints instead of a number. */
export const SPECIAL_VALUES: readonly string[] = Object.freeze([
  '[N/A]',
  '[Not Supported]',
  '[Unknown Error]',
  '[Insufficient Permissions]',
  '[GPU is lost]',
  '[GPU requires reset]',
  '[Requested functionality has been deprecated]',
  'N/A',
  '',
]);

/** Lines longer than this are rejected (truncated) instead of growing the buffer without bound. */
export const MAX_LINE_LENGTH = 64 * 1024;
const REJECT_PREVIEW = 200;

/** Header name (`clocks.current.sm [MHz]`) or query alias (`clocks.sm`) → canonical field name. */
export function canonicalFieldName(name: string): string {
  const bare = name.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
  return FIELD_ALIASES[bare] ?? bare;
}

const TS_RE = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/** `2026/07/14 08:12:53.353` (local time, no zone) → epoch ms; null when malformed or out of range. */
export function parseNvidiaTimestamp(text: string): number | null {
  const m = TS_RE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const date = new Date(y, mo - 1, d, h, mi, s, ms);
  // Date rolls Feb 30 into March: reject days that do not exist.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date.getTime();
}

const NUM_RE = /^[+-]?(\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:\s*(?:W|mW|MiB|KiB|GiB|%|MHz|C|us|ms|s|J))?$/;

/** One CSV cell → number, or null for special values, empty cells and anything non-numeric. */
export function parseCell(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const t = cell.trim();
  if (t === '' || t === 'N/A' || (t.startsWith('[') && t.endsWith(']'))) return null;
  if (!NUM_RE.test(t)) return null;
  const n = Number.parseFloat(t);
  return Number.isFinite(n) ? n : null;
}

/** Splits one CSV line the way nvidia-smi writes it: `", "` between values, no quoting. */
export function splitCsvLine(line: string): string[] {
  return line.split(',').map((c) => c.trim());
}

/** The field nvidia-smi rejected (`Field "x" is not a valid field to query.`), or null. */
export function invalidQueryField(output: string): string | null {
  const m = /Field "([^"]*)" is not a valid field to query/.exec(output);
  return m ? (m[1] ?? null) : null;
}

const UUID_RE = /^(GPU|MIG)-[0-9A-Za-z-]+$/;

function toInt(n: number | null): number | null {
  return n !== null && Number.isInteger(n) ? n : null;
}

/** Builds a GpuSample from cells keyed by canonical field name; null when timestamp or uuid is unusable. */
export function cellsToGpuSample(get: (canonical: string) => string | undefined): GpuSample | null {
  const t = parseNvidiaTimestamp(get('timestamp') ?? '');
  const uuid = (get('uuid') ?? '').trim();
  if (t === null || !UUID_RE.test(uuid)) return null;
  const num = (f: string): number | null => parseCell(get(f));
  return {
    t,
    uuid,
    index: toInt(num('index')),
    powerW: num('power.draw'),
    powerInstantW: num('power.draw.instant'),
    powerLimitW: num('power.limit'),
    utilGpuPct: num('utilization.gpu'),
    utilMemPct: num('utilization.memory'),
    memUsedMiB: num('memory.used'),
    memTotalMiB: num('memory.total'),
    tempC: num('temperature.gpu'),
    smClockMHz: num('clocks.current.sm'),
  };
}

export interface GpuParseResult {
  samples: GpuSample[];
  rejected: string[];
}

export interface GpuLineParser {
  push(chunk: string): GpuParseResult;
  /** Parses what is left in the buffer (a last line without newline). */
  end(): GpuParseResult;
}

/** The fields a GpuSample takes from a stream line, by the canonical name nvidia-smi prints. */
const SAMPLE_FIELDS = [
  'index', 'power.draw', 'power.draw.instant', 'power.limit', 'utilization.gpu', 'utilization.memory', 'memory.used',
  'memory.total', 'temperature.gpu', 'clocks.current.sm',
] as const;

const FRACTION_RE = /^(?:\.(\d{1,3}))?$/;

/**
 * parseNvidiaTimestamp with the seconds remembered: the lines of one sampling round, and the rounds within a second,
 * share `YYYY/MM/DD HH:MM:SS`, so the calendar (a local-time Date) is worked out once per second, not per line. Equal
 * to parseNvidiaTimestamp for every text (a zone's offset changes on whole seconds, so the milliseconds just add).
 */
function timestampReader(): (text: string) => number | null {
  let lastSecond = '';
  let lastBase: number | null = null;
  return (raw) => {
    const text = raw.trim();
    if (text.length < 19) return null;
    const second = text.slice(0, 19);
    if (second !== lastSecond) {
      lastSecond = second;
      lastBase = parseNvidiaTimestamp(second);
    }
    if (lastBase === null) return null;
    if (text.length === 19) return lastBase;
    const m = FRACTION_RE.exec(text.slice(19));
    if (!m) return null;
    return lastBase + Number((m[1] as string).padEnd(3, '0'));
  };
}

/**
 * Incremental parser for `--query-gpu=<fields> --format=csv,noheader,nounits -lms N` output: the daemon's hot path
 * (8 GPUs at 100 ms: 80 lines a second, too few for V8 to optimize it), so each line costs one split, the cells' own
 * parses, and no closures or lookups by name; the same samples as cellsToGpuSample over the same cells.
 */
export function createGpuLineParser(fields: readonly string[], maxLineLength = MAX_LINE_LENGTH): GpuLineParser {
  const pos = new Map<string, number>();
  fields.forEach((f, i) => pos.set(canonicalFieldName(f), i));
  const at = (f: string): number => pos.get(f) ?? -1;
  const iTime = at('timestamp');
  const iUuid = at('uuid');
  const iNum = SAMPLE_FIELDS.map(at);
  const timestamp = timestampReader();
  let buf = '';
  let discarding = false;

  const num = (cells: string[], k: number): number | null => {
    const i = iNum[k] as number;
    return i < 0 ? null : parseCell(cells[i]);
  };
  const toSample = (cells: string[]): GpuSample | null => {
    const t = iTime < 0 ? null : timestamp(cells[iTime] as string);
    const uuid = iUuid < 0 ? '' : (cells[iUuid] as string).trim();
    if (t === null || !UUID_RE.test(uuid)) return null;
    return {
      t,
      uuid,
      index: toInt(num(cells, 0)),
      powerW: num(cells, 1),
      powerInstantW: num(cells, 2),
      powerLimitW: num(cells, 3),
      utilGpuPct: num(cells, 4),
      utilMemPct: num(cells, 5),
      memUsedMiB: num(cells, 6),
      memTotalMiB: num(cells, 7),
      tempC: num(cells, 8),
      smClockMHz: num(cells, 9),
    };
  };

  const parseLine = (raw: string, out: GpuParseResult): void => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const cells = line.split(',');
    const sample = cells.length === fields.length ? toSample(cells) : null;
    if (sample) out.samples.push(sample);
    else out.rejected.push(line.length > REJECT_PREVIEW ? `${line.slice(0, REJECT_PREVIEW)}…` : line);
  };

  const push = (chunk: string): GpuParseResult => {
    const out: GpuParseResult = { samples: [], rejected: [] };
    buf += chunk;
    let from = 0;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', from)) {
      const line = buf.slice(from, nl);
      from = nl + 1;
      if (discarding) discarding = false;
      else parseLine(line, out);
    }
    if (from > 0) buf = buf.slice(from);
    if (buf.length > maxLineLength) {
      // A line this long is not nvidia-smi CSV: report it once, drop the rest up to the next newline.
      if (!discarding) out.rejected.push(`${buf.slice(0, REJECT_PREVIEW)}… (line longer than ${maxLineLength})`);
      discarding = true;
      buf = '';
    }
    return out;
  };

  const end = (): GpuParseResult => {
    const out: GpuParseResult = { samples: [], rejected: [] };
    if (!discarding) parseLine(buf, out);
    buf = '';
    discarding = false;
    return out;
  };

  return { push, end };
}

export interface QueryCsv {
  /** Canonical field names from the header, in column order. */
  fields: string[];
  /** Header names as printed, with ` [unit]`. */
  headers: string[];
  /** Raw cell text keyed by canonical field name (units kept; use parseCell). */
  rows: Record<string, string>[];
  /** Non-empty lines that are not rows of this header. */
  rejected: string[];
}

/** Parses `--format=csv` output with its header line (units allowed in values). */
export function parseQueryCsv(text: string): QueryCsv {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const headerLine = lines.shift();
  if (headerLine === undefined) return { fields: [], headers: [], rows: [], rejected: [] };
  const headers = splitCsvLine(headerLine);
  const fields = headers.map(canonicalFieldName);
  const rows: Record<string, string>[] = [];
  const rejected: string[] = [];
  for (const line of lines) {
    const cells = splitCsvLine(line);
    if (cells.length !== fields.length) {
      rejected.push(line.length > REJECT_PREVIEW ? `${line.slice(0, REJECT_PREVIEW)}…` : line);
      continue;
    }
    const row: Record<string, string> = {};
    fields.forEach((f, i) => (row[f] = cells[i] ?? ''));
    rows.push(row);
  }
  return { fields, headers, rows, rejected };
}

export interface ComputeApp {
  pid: number;
  gpuUuid: string;
  /** null when nvidia-smi cannot tell (`[N/A]`, e.g. under MIG or WDDM). */
  usedMiB: number | null;
}

/**
 * Parses `--query-compute-apps=pid,gpu_uuid,used_gpu_memory --format=csv,noheader,nounits`; a header line
 * (`--format=csv`, any field order) is also understood.
 */
export function parseComputeApps(text: string): ComputeApp[] {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const hasHeader = /(^|,\s*)pid(\s*,|$)/.test(first);
  const rows: Record<string, string>[] = hasHeader
    ? parseQueryCsv(text).rows
    : text
        .split(/\r?\n/)
        .map(splitCsvLine)
        .filter((c) => c.length === 3)
        .map(([pid, uuid, mem]) => ({ pid: pid ?? '', uuid: uuid ?? '', used_gpu_memory: mem ?? '' }));
  const apps: ComputeApp[] = [];
  for (const r of rows) {
    const pid = parseCell(r['pid']);
    const gpuUuid = (r['uuid'] ?? '').trim();
    if (pid === null || !Number.isInteger(pid) || pid <= 0 || !UUID_RE.test(gpuUuid)) continue;
    apps.push({ pid, gpuUuid, usedMiB: parseCell(r['used_gpu_memory']) });
  }
  return apps;
}

export interface ListedGpu {
  index: number;
  name: string;
  uuid: string;
  migUuids: string[];
}

/** Parses `nvidia-smi -L`: `GPU 0: NAME (UUID: GPU-…)` lines, each followed by its `MIG … (UUID: MIG-…)` lines. */
export function parseGpuList(text: string): ListedGpu[] {
  const gpus: ListedGpu[] = [];
  for (const line of text.split(/\r?\n/)) {
    const g = /^GPU (\d+): (.*) \(UUID: (GPU-[0-9A-Za-z-]+)\)\s*$/.exec(line);
    if (g) {
      gpus.push({ index: Number(g[1]), name: g[2] ?? '', uuid: g[3] ?? '', migUuids: [] });
      continue;
    }
    const mig = /^\s+MIG .*\(UUID: (MIG-[0-9A-Za-z/-]+)\)\s*$/.exec(line);
    const last = gpus[gpus.length - 1];
    if (mig && last) last.migUuids.push(mig[1] ?? '');
  }
  return gpus;
}
