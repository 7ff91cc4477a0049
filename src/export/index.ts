import { invalid } from '../errors.js';
import { formatLocal } from '../import/timestamps.js';
import type { RunSet } from '../runs/open.js';
import { energyOptions } from '../runs/energy.js';
import { runJson } from '../runs/report.js';
import type { RunRow } from '../store/runs.js';
import { hostname } from 'node:os';
import { codecarbonCsv, hfCardYaml, thisMachine, type CarbonOptions } from './carbon.js';
import { studyEpochCsv, studyGpuCsv, studyMemCsv } from './nvsmi.js';
import { deviceRows, procRows, sampleRows } from './rows.js';
import { csvChunks, EPOCH_COLUMNS, epochRecord, jsonChunks, parquetChunks, SAMPLE_COLUMNS, sampleRecord } from './tabular.js';

export const EXPORT_FORMATS = ['csv', 'json', 'parquet', 'nvsmi', 'codecarbon', 'hf-card'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type ExportDeps = Pick<RunSet, 'cfg' | 'runs' | 'epochs' | 'energy' | 'reader' | 'clock' | 'means'>;

export interface ExportOptions extends Partial<CarbonOptions> {
  /** csv/json/parquet: one row per epoch instead of one per sample. */
  perEpoch?: boolean;
}

/** One output of an export: a fixed, path-safe file name and its content, produced lazily in chunks. */
export interface ExportPart {
  name: string;
  contentType: string;
  binary: boolean;
  chunks(): AsyncIterable<string | Uint8Array>;
}

export function isExportFormat(f: string): f is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(f);
}

/** `20221205T150015`, local time, as the study stamps its logs. */
export function studyStamp(ms: number): string {
  return formatLocal(ms, 'T').slice(0, 19).replace(/[-:]/g, '');
}

async function* once(s: string): AsyncGenerator<string> {
  yield s;
}

/** Everything `format` writes for a run (several files only for nvsmi). Pure over the store: the CLI and HTTP share it. */
export function exportParts(deps: ExportDeps, row: RunRow, format: ExportFormat, opts: ExportOptions = {}): ExportPart[] {
  const cfg = deps.cfg;
  const run = runJson(deps, row, { epochs: true });
  const devices = deps.runs.devices(row.rid);
  const epochRows = deps.epochs.list(row.rid);
  const energyOpts = energyOptions(cfg, row);
  const rowOpts = { ramWattsPerGB: energyOpts.ramWattsPerGB, procMaxGapMs: energyOpts.procMaxGapMs };
  const samples = () => sampleRows(deps.reader, row, devices, epochRows, rowOpts);
  const carbon: CarbonOptions = {
    carbonIntensityGPerKWh: opts.carbonIntensityGPerKWh ?? cfg.carbonIntensityGPerKWh,
    pue: opts.pue ?? cfg.pue,
    trainingType: opts.trainingType ?? null,
    location: opts.location ?? null,
    countryIsoCode: opts.countryIsoCode ?? cfg.countryIsoCode,
    region: opts.region ?? cfg.region,
    // os, CPU and RAM describe this machine: only for a run it recorded itself.
    machine: opts.machine !== undefined ? opts.machine
      : row.status !== 'imported' && (row.host === null || row.host === (cfg.nodeName ?? hostname())) ? thisMachine() : null,
  };
  const base = `run-${row.id}`;
  const epochsJson = run.epochs ?? [];
  switch (format) {
    case 'csv':
      return [opts.perEpoch
        ? { name: `${base}-epochs.csv`, contentType: 'text/csv', binary: false, chunks: () => csvChunks(EPOCH_COLUMNS, epochsJson, epochRecord) }
        : { name: `${base}-samples.csv`, contentType: 'text/csv', binary: false, chunks: () => csvChunks(SAMPLE_COLUMNS, samples(), sampleRecord) }];
    case 'json':
      return [opts.perEpoch
        ? { name: `${base}-epochs.json`, contentType: 'application/json', binary: false, chunks: () => jsonChunks(run, 'epochs', epochsJson, epochRecord) }
        : { name: `${base}-samples.json`, contentType: 'application/json', binary: false, chunks: () => jsonChunks(run, 'samples', samples(), sampleRecord) }];
    case 'parquet':
      return [opts.perEpoch
        ? { name: `${base}-epochs.parquet`, contentType: 'application/vnd.apache.parquet', binary: true, chunks: () => parquetChunks(EPOCH_COLUMNS, epochsJson, epochRecord, run) }
        : { name: `${base}-samples.parquet`, contentType: 'application/vnd.apache.parquet', binary: true, chunks: () => parquetChunks(SAMPLE_COLUMNS, samples(), sampleRecord, run) }];
    case 'codecarbon':
      return [{ name: 'emissions.csv', contentType: 'text/csv', binary: false, chunks: () => once(codecarbonCsv(run, carbon)) }];
    case 'hf-card':
      return [{ name: 'co2_eq_emissions.yaml', contentType: 'application/yaml', binary: false, chunks: () => once(hfCardYaml(run, carbon)) }];
    case 'nvsmi': {
      // The study's file names: its analysis globs gpu*.csv / cpu*.csv and finds epoch_end-<stamp of the GPU log>.csv.
      // Each GPU log starts and ends at the run's edges where the energy interpolates them (see deviceRows).
      const stamp = studyStamp(row.started_at);
      const parts: ExportPart[] = devices.map((d, i) => ({
        name: i === 0 ? `gpu-power-${stamp}.csv` : `gpu${i}-power-${stamp}.csv`,
        contentType: 'text/csv',
        binary: false,
        chunks: () => studyGpuCsv(deviceRows(deps.reader, row, d, energyOpts.gpuMaxGapMs), d),
      }));
      if (epochRows.some((e) => e.ended_at !== null)) {
        parts.push({ name: `epoch_end-${stamp}.csv`, contentType: 'text/csv', binary: false, chunks: () => studyEpochCsv(epochRows) });
      }
      if (deps.reader.hasProc(row.rid)) {
        parts.push({ name: `cpu-mem-usage-${stamp}.csv`, contentType: 'text/csv', binary: false, chunks: () => studyMemCsv(procRows(deps.reader, row)) });
      }
      return parts;
    }
  }
}

/** The single-stream export (what `GET /v1/runs/:id/export?format=` serves); nvsmi only when it is one file. */
export function exportRun(deps: ExportDeps, row: RunRow, format: ExportFormat, opts: ExportOptions = {}): { part: ExportPart; chunks: AsyncIterable<string | Uint8Array> } {
  const parts = exportParts(deps, row, format, opts);
  const part = parts[0];
  if (!part || parts.length !== 1) {
    throw invalid(`format ${format} writes ${parts.length} files for this run (${parts.map((p) => p.name).join(', ')}): export it to a folder`);
  }
  return { part, chunks: part.chunks() };
}
