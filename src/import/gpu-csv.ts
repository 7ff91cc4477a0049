import {
  canonicalFieldName,
  GPU_QUERY_FIELDS,
  GPU_QUERY_FIELDS_NO_INSTANT,
  parseCell,
  splitCsvLine,
} from '../samplers/nvidia-smi-parse.js';
import { parseLogTimestamp } from './timestamps.js';

/** The study's renamed header (seaa2023_ect logs) → nvidia-smi canonical field names. */
const STUDY_NAMES: Readonly<Record<string, string>> = Object.freeze({
  gpu_name: 'name',
  gpu_usage: 'utilization.gpu',
  gpu_memory_usage: 'utilization.memory',
  gpu_total_memory: 'memory.total',
  gpu_memory_used: 'memory.used',
  gpu_power_draw: 'power.draw',
  gpu_max_power: 'power.max_limit',
  gpu_temperature: 'temperature.gpu',
  gpu_uuid: 'uuid',
  gpu_index: 'index',
});

/** The study's query (`nvidia-smi -i 0 --query-gpu=… --format=csv -l 1`), field order of its logs. */
export const STUDY_QUERY_FIELDS: readonly string[] = Object.freeze([
  'timestamp', 'name', 'utilization.gpu', 'utilization.memory', 'memory.total', 'memory.used', 'power.draw',
  'power.max_limit', 'temperature.gpu',
]);

/** The header the study's analysis code reads (it renames columns positionally, so any header works there). */
export const STUDY_GPU_HEADER =
  'timestamp,gpu_name,gpu_usage,gpu_memory_usage,gpu_total_memory,gpu_memory_used,gpu_power_draw,gpu_max_power,gpu_temperature';

/** The numeric columns a row carries (null where the log has none). */
export const NUMERIC_FIELDS = [
  'index', 'power.draw', 'power.draw.instant', 'power.limit', 'power.max_limit', 'utilization.gpu',
  'utilization.memory', 'memory.used', 'memory.total', 'temperature.gpu', 'clocks.current.sm',
] as const;
export type NumericField = (typeof NUMERIC_FIELDS)[number];

export interface GpuLayout {
  fields: string[];
  hasHeader: boolean;
  headerLine: string | null;
  col: Map<string, number>;
}

export interface GpuRow {
  t: number;
  uuid: string | null;
  name: string | null;
  values: Record<NumericField, number | null>;
}

const canonical = (h: string): string => {
  const bare = h.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
  return canonicalFieldName(STUDY_NAMES[bare] ?? bare);
};

function layoutOf(fields: readonly string[], headerLine: string | null): GpuLayout {
  const col = new Map<string, number>();
  fields.forEach((f, i) => col.set(f, i));
  return { fields: [...fields], hasHeader: headerLine !== null, headerLine, col };
}

/** Reads the first line: a header (either style), or a data row of a known headerless layout. Error text if neither. */
export function detectLayout(first: string): GpuLayout | string {
  const cells = splitCsvLine(first);
  if (parseLogTimestamp(cells[0] ?? '') !== null) {
    const known = [STUDY_QUERY_FIELDS, GPU_QUERY_FIELDS, GPU_QUERY_FIELDS_NO_INSTANT].find((f) => f.length === cells.length);
    if (!known) {
      return `no header and ${cells.length} columns: cannot tell which column is power.draw (add the nvidia-smi header line)`;
    }
    return layoutOf(known.map(canonicalFieldName), null);
  }
  const fields = cells.map(canonical);
  if (!fields.includes('timestamp')) return `header has no timestamp column: "${first.slice(0, 120)}"`;
  if (!fields.includes('power.draw')) return `header has no power.draw column: "${first.slice(0, 120)}"`;
  const dup = fields.find((f, i) => fields.indexOf(f) !== i);
  if (dup) return `header names column "${dup}" twice`;
  return layoutOf(fields, first.trim());
}

const isSpecial = (t: string): boolean => t === '' || t === 'N/A' || t === 'None' || (t.startsWith('[') && t.endsWith(']'));

/** One data line → a row, or the reason it is malformed. */
export function parseGpuLine(line: string, layout: GpuLayout): GpuRow | string {
  const cells = splitCsvLine(line);
  if (cells.length !== layout.fields.length) {
    return `expected ${layout.fields.length} columns, got ${cells.length}`;
  }
  const cell = (f: string): string | undefined => {
    const i = layout.col.get(f);
    return i === undefined ? undefined : cells[i];
  };
  const ts = cell('timestamp') ?? '';
  const t = parseLogTimestamp(ts);
  if (t === null) return `bad timestamp "${ts}"`;
  const values = {} as Record<NumericField, number | null>;
  for (const f of NUMERIC_FIELDS) {
    const raw = cell(f);
    if (raw === undefined || isSpecial(raw)) {
      values[f] = null;
      continue;
    }
    const v = parseCell(raw);
    if (v === null) return `column "${f}": not a number: "${raw}"`;
    values[f] = v;
  }
  const uuid = cell('uuid');
  const name = cell('name');
  return {
    t,
    uuid: uuid === undefined || isSpecial(uuid) ? null : uuid,
    name: name === undefined || isSpecial(name) ? null : name,
    values,
  };
}
