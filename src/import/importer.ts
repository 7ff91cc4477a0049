import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { conflict, hasCode } from '../errors.js';
import { energyOptions } from '../runs/energy.js';
import { removeImport, sweepImports } from '../runs/imports.js';
import type { RunSet } from '../runs/open.js';
import type { GpuSample } from '../samplers/types.js';
import type { RunEnergy } from '../store/run-data.js';
import { newRunId, type RunRow } from '../store/runs.js';
import { BATCH_ROWS, importEpochs, importMem } from './aux-files.js';
import { medianPositive } from './gpu-devices.js';
import { gpuFileBatches, newGpuPass } from './gpu-file.js';
import { lineError } from './lines.js';
import { PassEnergy, readEpochEnds } from './pass-energy.js';

export interface ImportOptions {
  /** One or more nvidia-smi logs; each may interleave several GPUs. */
  gpuCsv: string[];
  epochsCsv?: string | null;
  memCsv?: string | null;
  name?: string | null;
  /** The run's key/values, as `profiler run --meta` stores them (the offline estimators read their features here). */
  meta?: Record<string, string>;
  /** Import files that were imported before (refused otherwise: the same log twice is two runs over the same samples). */
  force?: boolean;
  /** Runs on the complete but still hidden run (the analysis): its failure, too, leaves nothing behind. */
  beforeReveal?: (id: string) => Promise<unknown>;
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
  /** GPU rows stored already (the same log imported before): the new run shares them. */
  sharedRows: number;
  /** Visible runs over those shared samples. */
  sharedWith: string[];
  /** Where the GPU energy was integrated: in the parse pass, or from the stored rows (shared rows, an unreadable epochs file). */
  gpuIntegratedIn: 'parse' | 'store';
}

/**
 * Loads finished-run logs as one run (status "imported") in short write transactions, so a live daemon never waits
 * long for the database. The run stays hidden until complete; any failure (a malformed line other than a cut-off
 * last one, an I/O error, the energy or the analysis) removes everything the import wrote, and an import killed
 * mid-way is removed by the next sweep (the next import, or any run set opened later).
 */
export async function importRun(set: RunSet, opts: ImportOptions): Promise<ImportResult> {
  if (opts.gpuCsv.length === 0) throw lineError('(none)', 0, 'give at least one --gpu-csv FILE');
  await sweepImports(set.imports);
  const files = [...opts.gpuCsv, opts.memCsv, opts.epochsCsv].filter((f): f is string => !!f);
  const importFingerprint = filesFingerprint(opts);
  if (!opts.force) refuseReimport(set, importFingerprint, files);
  const meta: Record<string, string> = { ...opts.meta, importedFrom: files.join(' '), importedAt: new Date().toISOString(), importFingerprint };
  const hidden = set.runs.create({
    name: opts.name ?? null, command: ['profiler', 'import', ...files], cwd: process.cwd(), startedAt: Date.now(),
    expectedEpochs: null, clientPid: null, sampleMs: set.cfg.sampleMs, meta, status: 'imported', importPid: process.pid,
  });
  set.runs.showImport(hidden.rid);
  try {
    return await load(set, hidden.rid, opts);
  } catch (err) {
    set.samples.reset();
    // A removal that fails leaves the run hidden; once this process is gone the next sweep removes it.
    await removeImport(set.imports, hidden.rid).catch(() => false);
    set.samples.reset();
    throw err;
  } finally {
    set.runs.showImport(null);
    set.imports.forget(hidden.rid);
  }
}

async function load(set: RunSet, rid: number, opts: ImportOptions): Promise<ImportResult> {
  const { cfg, runs, samples, imports } = set;
  const pass = newGpuPass();
  let sharedRows = 0;
  const sampleMsNow = (): number => Math.max(1, Math.round(medianPositive(pass.diffs) ?? cfg.sampleMs));
  // The GPU energy is integrated in this pass where the epochs file's ends can be read ahead (the cuts).
  const ends = opts.epochsCsv ? await readEpochEnds(opts.epochsCsv) : [];
  const inPass = ends === null ? null : new PassEnergy(ends);
  let row = 0;
  for (let file = 0; file < opts.gpuCsv.length; file++) for await (const rows of gpuFileBatches(opts.gpuCsv[file] as string, pass)) {
    if (inPass) {
      for (const s of rows) {
        inPass.push(s.uuid, s.t, s.powerW);
        // Started once the sampling interval is known: after the row whose spacing filled the pass's diffs.
        if (!inPass.started && pass.diffsFullAt !== null && row >= pass.diffsFullAt) inPass.start(energyOptions(cfg, { sample_ms: sampleMsNow() }).gpuMaxGapMs);
        row++;
      }
    }
    sharedRows += writeGpu(set, rid, opts.gpuCsv[file] as string, rows);
  }
  const sampleMs = sampleMsNow();
  if (inPass && !inPass.started) inPass.start(energyOptions(cfg, { sample_ms: sampleMs }).gpuMaxGapMs);
  const id = newRunId(pass.minT);
  imports.settle(rid, { id, startedAt: pass.minT, sampleMs });
  runs.setDevices(rid, [...pass.devices.keys()].map((uuid) => samples.deviceId(uuid)), 'import');
  let run = runs.byId(id) as RunRow;
  const memRows = opts.memCsv ? await importMem(opts.memCsv, rid, samples, pass.cut) : 0;
  const ep = opts.epochsCsv ? await importEpochs(opts.epochsCsv, run, set, pass.cut) : { n: 0, lastEnd: pass.maxT };
  const endedAt = Math.max(pass.maxT, ep.lastEnd);
  runs.update(rid, { ended_at: endedAt, expected_epochs: ep.n > 0 ? ep.n : null });
  run = runs.byId(id) as RunRow;
  // Used only where the store holds exactly the rows the pass integrated for every device (none shared or foreign).
  const ownRows = inPass !== null && sharedRows === 0 &&
    [...pass.devices.keys()].every((uuid) => samples.gpuRowCount(samples.deviceId(uuid)) === inPass.rows(uuid));
  let gpuIntegratedIn: ImportResult['gpuIntegratedIn'] = 'store';
  const { energy } = set.energy.compute(run, endedAt, {
    writeEpochs: true,
    gpuDone: ownRows ? (cuts) => {
      const done = inPass.integrations(cuts, run.started_at, endedAt);
      if (done) gpuIntegratedIn = 'parse';
      return done;
    } : undefined,
  });
  runs.update(rid, { energy });
  for (let i = 0; i < energy.gaps.length; i += BATCH_ROWS) {
    imports.write(() => {
      for (const g of energy.gaps.slice(i, i + BATCH_ROWS)) runs.addEvent(rid, 'gap', g, g.from);
    });
  }
  const sharedWith = sharedRows > 0 ? imports.sharedWith(rid, pass.minT, endedAt) : [];
  await opts.beforeReveal?.(id);
  imports.write(() => {
    // Device details go in last: a failed import leaves devices that existed before untouched.
    for (const d of pass.devices.values()) set.devices.noteImport(samples.deviceId(d.uuid), d);
    imports.release(rid);
  });
  return {
    id, rid, gpuRows: pass.rows, memRows, epochs: ep.n, devices: [...pass.devices.keys()], cutLines: pass.cut, sampleMs,
    energy, sharedRows, sharedWith, gpuIntegratedIn,
  };
}

/** Bytes of each file hashed to know it again: enough to tell logs apart, cheap on a 200 MB one. */
const HEAD_BYTES = 1 << 20;

/** A file's size and the SHA-256 of its first MB ("size:hex"), or null when it cannot be read (the import says why). */
function fileFingerprint(path: string): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, HEAD_BYTES));
    const n = readSync(fd, buf, 0, buf.length, 0);
    return `${size}:${createHash('sha256').update(buf.subarray(0, n)).digest('hex').slice(0, 32)}`;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The import's files by content (not by path: a copy is the same log), each with its role. */
export function filesFingerprint(opts: Pick<ImportOptions, 'gpuCsv' | 'memCsv' | 'epochsCsv'>): string {
  const gpu = opts.gpuCsv.map((f) => `gpu=${fileFingerprint(f)}`).sort();
  const aux = [['mem', opts.memCsv], ['epochs', opts.epochsCsv]].filter(([, f]) => !!f).map(([k, f]) => `${k}=${fileFingerprint(f as string)}`);
  return [...gpu, ...aux].join(' ');
}

/** The same files imported before are PROF_ERR_CONFLICT naming the run they became (--force imports them again). */
function refuseReimport(set: RunSet, fingerprint: string, files: string[]): void {
  if (fingerprint.includes('=null')) return; // an unreadable file: the import itself reports it
  const prior = set.runs.list({ status: 'imported' }).find((r) => r.meta.importFingerprint === fingerprint);
  if (prior === undefined) return;
  throw conflict(`${files.join(', ')} ${files.length === 1 ? 'was' : 'were'} imported already as run ${prior.id}` +
    `${prior.name ? ` (${prior.name})` : ''}${prior.meta.importedAt ? ` on ${prior.meta.importedAt}` : ''}: use --force to import again`);
}

/** One batch of one file's GPU samples; a clash with another import names the file. */
function writeGpu(set: RunSet, rid: number, file: string, batch: readonly GpuSample[]): number {
  if (batch.length === 0) return 0;
  try {
    return set.imports.writeGpu(rid, batch);
  } catch (err) {
    throw hasCode(err, 'PROF_ERR_CONFLICT') ? conflict(`${file}: ${err.message}`, { cause: err }) : err;
  }
}
