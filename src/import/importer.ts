import type { RunSet } from '../runs/open.js';
import type { GpuSample } from '../samplers/types.js';
import { beginWrite } from '../store/db.js';
import type { EpochStore } from '../store/epochs.js';
import type { RunEnergy } from '../store/run-data.js';
import type { RunRow } from '../store/runs.js';
import type { SampleStore } from '../store/samples.js';
import { checkEpochHeader, detectMemLayout, parseEpochLine, parseMemLine } from './aux-csv.js';
import { detectGroupSize, medianPositive, syntheticUuid } from './gpu-devices.js';
import { detectLayout, parseGpuLine, type GpuLayout, type GpuRow } from './gpu-csv.js';
import { lineError, readLineBatches, type Line } from './lines.js';

export interface ImportOptions {
  /** One or more nvidia-smi logs; each may interleave several GPUs. */
  gpuCsv: string[];
  epochsCsv?: string | null;
  memCsv?: string | null;
  name?: string | null;
}

export interface ImportResult {
  id: string;
  rid: number;
  gpuRows: number;
  memRows: number;
  epochs: number;
  devices: string[];
  /** Files whose last line was cut off mid-row and skipped. */
  cutLines: string[];
  sampleMs: number;
  energy: RunEnergy;
}

const FLUSH_ROWS = 10_000;
const GROUP_PROBE_ROWS = 64;

interface DeviceInfo {
  uuid: string;
  index: number | null;
  name: string | null;
  limit: number | null;
  maxLimit: number | null;
  memTotal: number | null;
  lastT: number;
}

interface GpuPass {
  devices: Map<string, DeviceInfo>;
  rows: number;
  minT: number;
  maxT: number;
  diffs: number[];
  cut: string[];
}

/** Streams one GPU log into the sample queue; devices by uuid, index, or their position in a repeating group. */
async function importGpuFile(file: string, samples: SampleStore, pass: GpuPass): Promise<void> {
  let layout: GpuLayout | null = null;
  let groupSize: number | null = null;
  let groupNames: (string | null)[] = [];
  let k = 0;
  const probe: { row: GpuRow; line: Line }[] = [];
  const uuids = new Map<number, string>(); // synthetic uuid per GPU position: hashing per row cost 10 % of an import

  const emit = (row: GpuRow, line: Line, l: GpuLayout): void => {
    let uuid = row.uuid;
    let index = row.values.index === null ? null : Math.trunc(row.values.index);
    if (uuid === null) {
      if (l.col.has('index')) {
        if (index === null) throw lineError(file, line.no, 'no GPU index in this row');
      } else {
        const slot = k % (groupSize as number);
        if (groupSize !== null && groupSize > 1 && groupNames[slot] !== row.name) {
          throw lineError(file, line.no, `GPU rows out of order: expected "${groupNames[slot] ?? ''}" at position ${slot + 1} of ${groupSize}`);
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
    if (row.t < d.lastT) throw lineError(file, line.no, `time goes backwards by ${d.lastT - row.t} ms for GPU ${d.index ?? uuid}`);
    if (d.lastT > -Infinity && pass.diffs.length < 5000) pass.diffs.push(row.t - d.lastT);
    d.lastT = row.t;
    const v = row.values;
    const s: GpuSample = {
      t: row.t, uuid, index, powerW: v['power.draw'], powerInstantW: v['power.draw.instant'], powerLimitW: v['power.limit'],
      utilGpuPct: v['utilization.gpu'], utilMemPct: v['utilization.memory'], memUsedMiB: v['memory.used'],
      memTotalMiB: v['memory.total'], tempC: v['temperature.gpu'], smClockMHz: v['clocks.current.sm'],
    };
    samples.addGpu([s]);
    pass.rows++;
    pass.minT = Math.min(pass.minT, row.t);
    pass.maxT = Math.max(pass.maxT, row.t);
    if (samples.pending >= FLUSH_ROWS) samples.flush();
  };
  const settleGroups = (l: GpuLayout): void => {
    groupSize = detectGroupSize(probe.map((p) => ({ t: p.row.t, name: p.row.name })));
    groupNames = probe.slice(0, groupSize).map((p) => p.row.name);
    for (const p of probe.splice(0)) emit(p.row, p.line, l);
  };

  let seen = 0;
  gpu: for await (const batch of readLineBatches(file)) for (const line of batch) {
    seen++;
    if (layout === null) {
      const l = detectLayout(line.text);
      if (typeof l === 'string') throw lineError(file, line.no, l);
      layout = l;
      if (l.hasHeader) continue;
    } else if (layout.hasHeader && line.text.trim() === layout.headerLine) {
      continue; // some loggers repeat the header
    }
    const row = parseGpuLine(line.text, layout);
    if (typeof row === 'string') {
      if (line.last && seen > 1) {
        pass.cut.push(file);
        break gpu;
      }
      throw lineError(file, line.no, row);
    }
    const needsGroups = !layout.col.has('uuid') && !layout.col.has('index');
    if (needsGroups && groupSize === null) {
      probe.push({ row, line });
      if (probe.length >= GROUP_PROBE_ROWS) settleGroups(layout);
    } else {
      emit(row, line, layout);
    }
  }
  if (layout === null) throw lineError(file, 1, 'empty file: expected an nvidia-smi CSV header or data row');
  if (groupSize === null && probe.length > 0) settleGroups(layout);
  if (k === 0) throw lineError(file, 2, 'no GPU samples in this log');
}

async function importMem(file: string, rid: number, samples: SampleStore, cut: string[]): Promise<number> {
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
    if (samples.pending >= FLUSH_ROWS) samples.flush();
  }
  if (layout === null) throw lineError(file, 1, 'empty file: expected the psutil header "timestamp,cpu usage (%),memory usage (MB),…"');
  samples.flush();
  return rows;
}

/** Epochs as the study assigns samples: the first starts at the first GPU sample, each ends at its end_time. */
async function importEpochs(file: string, run: RunRow, epochs: EpochStore, cut: string[]): Promise<{ n: number; lastEnd: number }> {
  let header = false;
  let n = 0;
  let prevEnd = run.started_at;
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
    const e = epochs.open(run.rid, prevEnd, r.epoch, 'import');
    epochs.close(run.rid, e.epoch, r.end);
    prevEnd = r.end;
    n++;
  }
  if (!header) throw lineError(file, 1, 'empty file: expected the header "epoch,end_time"');
  return { n, lastEnd: prevEnd };
}

/**
 * Loads finished-run logs as one run (status "imported") inside a single transaction: any malformed line other than
 * a cut-off last line rolls everything back. The connection must not be shared with other writers meanwhile.
 */
export async function importRun(set: RunSet, opts: ImportOptions): Promise<ImportResult> {
  if (opts.gpuCsv.length === 0) throw lineError('(none)', 0, 'give at least one --gpu-csv FILE');
  const { cfg, runs, epochs, samples } = set;
  const tx = beginWrite(set.db);
  try {
    const pass: GpuPass = { devices: new Map(), rows: 0, minT: Infinity, maxT: -Infinity, diffs: [], cut: [] };
    for (const f of opts.gpuCsv) await importGpuFile(f, samples, pass);
    samples.flush();
    const sampleMs = Math.max(1, Math.round(medianPositive(pass.diffs) ?? cfg.sampleMs));
    const files = [...opts.gpuCsv, opts.memCsv, opts.epochsCsv].filter((f): f is string => !!f);
    const meta: Record<string, string> = { importedFrom: files.join(' '), importedAt: new Date().toISOString() };
    let run = runs.create({
      name: opts.name ?? null, command: ['profiler', 'import', ...files], cwd: process.cwd(), startedAt: pass.minT,
      expectedEpochs: null, clientPid: null, sampleMs, meta, status: 'imported',
    });
    const devIds = [...pass.devices.values()].map((d) => {
      const id = samples.deviceId(d.uuid);
      set.devices.noteImport(id, d);
      return id;
    });
    runs.setDevices(run.rid, devIds, 'import');
    const memRows = opts.memCsv ? await importMem(opts.memCsv, run.rid, samples, pass.cut) : 0;
    const ep = opts.epochsCsv ? await importEpochs(opts.epochsCsv, run, epochs, pass.cut) : { n: 0, lastEnd: pass.maxT };
    const endedAt = Math.max(pass.maxT, ep.lastEnd);
    runs.update(run.rid, { ended_at: endedAt, expected_epochs: ep.n > 0 ? ep.n : null });
    run = runs.byId(run.id) as RunRow;
    const { energy } = set.energy.compute(run, endedAt, { writeEpochs: true });
    runs.update(run.rid, { energy });
    for (const g of energy.gaps) runs.addEvent(run.rid, 'gap', g, g.from);
    tx.commit();
    return {
      id: run.id, rid: run.rid, gpuRows: pass.rows, memRows, epochs: ep.n, devices: [...pass.devices.keys()],
      cutLines: pass.cut, sampleMs, energy,
    };
  } catch (err) {
    tx.rollback();
    samples.reset();
    throw err;
  }
}
