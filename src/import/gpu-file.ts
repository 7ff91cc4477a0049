import type { GpuSample } from '../samplers/types.js';
import { detectGroupSize, syntheticUuid } from './gpu-devices.js';
import { lineText, readByteLines, type ByteLines } from './byte-lines.js';
import { detectLayout, parseGpuLine, type GpuLayout, type GpuRow } from './gpu-csv.js';
import { FastGpuRows } from './gpu-fast.js';
import { lineError } from './lines.js';

const GROUP_PROBE_ROWS = 64;
/** Sample spacings kept to measure the sampling interval (the median of the first ones). */
export const DIFFS_KEPT = 5000;

export interface DeviceInfo {
  uuid: string;
  index: number | null;
  name: string | null;
  limit: number | null;
  maxLimit: number | null;
  memTotal: number | null;
  lastT: number;
}

export interface GpuPass {
  devices: Map<string, DeviceInfo>;
  rows: number;
  minT: number;
  maxT: number;
  /** The first DIFFS_KEPT spacings between a device's samples (then no more: the sampling interval is their median). */
  diffs: number[];
  /** Index (0-based, over all files) of the row whose spacing filled `diffs`, or null while it is not full. */
  diffsFullAt: number | null;
  cut: string[];
}

export const newGpuPass = (): GpuPass => ({ devices: new Map(), rows: 0, minT: Infinity, maxT: -Infinity, diffs: [], diffsFullAt: null, cut: [] });

/**
 * Rows yielded at a time (about: a batch ends with a 64 KiB chunk of the file). A batch must die young: one larger
 * than the young generation the import holds (holdYoungGeneration) survives two scavenges and is promoted. At 4,000
 * rows every batch was, and old-space churn cost +27 MB of peak RSS and ~15 % of the time (bench: import, 300 MB);
 * 1,000 and 2,000 cost the same, 500 is slower (more transactions).
 */
export const GPU_BATCH_ROWS = 2000;

/**
 * One GPU log's samples in file order, in batches of about GPU_BATCH_ROWS, updating `pass` as it goes (`pass` is
 * up to date for the rows yielded so far). Devices by uuid, index, or their position in a repeating group.
 */
export async function* gpuFileBatches(file: string, pass: GpuPass): AsyncGenerator<GpuSample[]> {
  let out: GpuSample[] = [];
  let layout: GpuLayout | null = null;
  let groupSize: number | null = null;
  let groupNames: (string | null)[] = [];
  let k = 0;
  const probe: { row: GpuRow; no: number }[] = [];
  const uuids = new Map<number, string>(); // synthetic uuid per GPU position: hashing per row cost 10 % of an import

  const emit = (row: GpuRow, no: number, l: GpuLayout): void => {
    let uuid = row.uuid;
    let index = row.values.index === null ? null : Math.trunc(row.values.index);
    if (uuid === null) {
      if (l.col.has('index')) {
        if (index === null) throw lineError(file, no, 'no GPU index in this row');
      } else {
        const slot = k % (groupSize as number);
        if (groupSize !== null && groupSize > 1 && groupNames[slot] !== row.name) {
          throw lineError(file, no, `GPU rows out of order: expected "${groupNames[slot] ?? ''}" at position ${slot + 1} of ${groupSize}`);
        }
        index = slot;
      }
      uuid = uuids.get(index as number) ?? syntheticUuid(file, index as number);
      uuids.set(index as number, uuid);
    }
    k++;
    let d = pass.devices.get(uuid);
    if (!d) {
      d = { uuid, index, name: row.name, limit: row.values['power.limit'], maxLimit: row.values['power.max_limit'],
        memTotal: row.values['memory.total'], lastT: -Infinity };
      pass.devices.set(uuid, d);
    }
    if (row.t < d.lastT) throw lineError(file, no, `time goes backwards by ${d.lastT - row.t} ms for GPU ${d.index ?? uuid}`);
    if (d.lastT > -Infinity && pass.diffs.length < DIFFS_KEPT) {
      pass.diffs.push(row.t - d.lastT);
      if (pass.diffs.length === DIFFS_KEPT) pass.diffsFullAt = pass.rows;
    }
    d.lastT = row.t;
    const v = row.values;
    const s: GpuSample = {
      t: row.t, uuid, index, powerW: v['power.draw'], powerInstantW: v['power.draw.instant'], powerLimitW: v['power.limit'],
      utilGpuPct: v['utilization.gpu'], utilMemPct: v['utilization.memory'], memUsedMiB: v['memory.used'],
      memTotalMiB: v['memory.total'], tempC: v['temperature.gpu'], smClockMHz: v['clocks.current.sm'],
    };
    out.push(s);
    pass.rows++;
    pass.minT = Math.min(pass.minT, row.t);
    pass.maxT = Math.max(pass.maxT, row.t);
  };
  const settleGroups = (l: GpuLayout): void => {
    groupSize = detectGroupSize(probe.map((p) => ({ t: p.row.t, name: p.row.name })));
    groupNames = probe.slice(0, groupSize).map((p) => p.row.name);
    for (const p of probe.splice(0)) emit(p.row, p.no, l);
  };

  let seen = 0;
  let fast: FastGpuRows | null = null;
  /** Line i of batch b; false when it was a cut-off last row (skipped: the file ends there). */
  const line = (b: ByteLines, i: number): boolean => {
    seen++;
    const no = b.no[i] as number;
    // Most rows parse from their bytes; the first line, headers and anything unusual take the exact text path.
    let row: GpuRow | string | null = fast === null ? null : fast.parse(b.buf, b.start[i] as number, b.end[i] as number);
    if (row === null) {
      const text = lineText(b, i);
      if (layout === null) {
        const l = detectLayout(text);
        if (typeof l === 'string') throw lineError(file, no, l);
        layout = l;
        fast = new FastGpuRows(l);
        if (l.hasHeader) return true;
      } else if (layout.hasHeader && text.trim() === layout.headerLine) {
        return true; // some loggers repeat the header
      }
      row = parseGpuLine(text, layout);
    }
    const l = layout as GpuLayout;
    if (typeof row === 'string') {
      if (b.final && i === b.count - 1 && seen > 1) {
        pass.cut.push(file);
        return false;
      }
      throw lineError(file, no, row);
    }
    const needsGroups = !l.col.has('uuid') && !l.col.has('index');
    if (needsGroups && groupSize === null) {
      probe.push({ row, no });
      if (probe.length >= GROUP_PROBE_ROWS) settleGroups(l);
    } else {
      emit(row, no, l);
    }
    return true;
  };
  gpu: for await (const b of readByteLines(file)) {
    for (let i = 0; i < b.count; i++) if (!line(b, i)) break gpu;
    if (out.length >= GPU_BATCH_ROWS) {
      yield out;
      out = [];
    }
  }
  if (layout === null) throw lineError(file, 1, 'empty file: expected an nvidia-smi CSV header or data row');
  if (groupSize === null && probe.length > 0) settleGroups(layout);
  if (k === 0) throw lineError(file, 2, 'no GPU samples in this log');
  if (out.length > 0) yield out;
}
