import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig } from '../config/load.js';
import { formatLocal } from '../import/timestamps.js';
import { BATCH_ROWS } from '../import/aux-files.js';
import { importRun } from '../import/importer.js';
import type { GpuSample } from '../samplers/types.js';
import { spawnProcess } from '../platform/exec.js';
import { cliPath } from './util.js';
import { homeFiles } from '../platform/paths.js';
import { openRunSet } from '../runs/open.js';
import { holdYoungGeneration } from '../platform/heap.js';
import { internal } from '../errors.js';

export interface ImportBench {
  /** Log megabytes (10^6 bytes) imported per second, import only (not node start-up). */
  mbPerS: number;
  /** Peak resident memory of the importing process (VmHWM). */
  peakRssMB: number;
  rows: number;
}

const CHILD_FLAG = '--bench-import-child';
const SQLITE_FLAG = '--bench-sqlite-child';
const HEADER = 'timestamp, name, utilization.gpu [%], utilization.memory [%], memory.total [MiB], memory.used [MiB], power.draw [W], power.max_limit [W], temperature.gpu\n';

/** Writes an nvidia-smi `-lms 100` style log of about `bytes` bytes (one GPU, varying power). */
async function writeSyntheticLog(path: string, bytes: number): Promise<void> {
  const ws = createWriteStream(path);
  let written = 0;
  let i = 0;
  const t0 = new Date(2026, 0, 1).getTime();
  ws.write(HEADER);
  while (written < bytes) {
    let chunk = '';
    for (let k = 0; k < 5000; k++, i++) {
      const w = (150 + 100 * Math.sin(i / 300) + (i % 7)).toFixed(2);
      chunk += `${formatLocal(t0 + i * 100).replace(/-/g, '/')}, NVIDIA H100 80GB HBM3, ${i % 100} %, 40 %, 81559 MiB, 20480 MiB, ${w} W, 700.00 W, 60\n`;
    }
    written += Buffer.byteLength(chunk);
    if (!ws.write(chunk)) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
}

function peakRssMB(): number {
  try {
    const m = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* not Linux: fall back below */
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Child side: imports one log into a fresh home and prints rows, seconds and peak RSS as JSON. */
async function child(log: string, home: string): Promise<void> {
  holdYoungGeneration(); // as `profiler import` does
  const cfg = loadConfig({ env: { ...process.env, PROFILER_HOME: home } });
  const set = openRunSet(cfg);
  const start = process.hrtime.bigint();
  const r = await importRun(set, { gpuCsv: [log] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  set.close();
  process.stdout.write(JSON.stringify({ rows: r.gpuRows, seconds, peakRssMB: peakRssMB() }) + '\n');
}

/** The reference: the same number of rows stored through SampleStore alone, batch by batch as an import writes them. */
async function sqliteChild(rows: number, home: string): Promise<void> {
  holdYoungGeneration(); // as the import does, so the reference's RSS stays comparable
  const cfg = loadConfig({ env: { ...process.env, PROFILER_HOME: home } });
  const set = openRunSet(cfg);
  const t0 = new Date(2026, 0, 1).getTime();
  const start = process.hrtime.bigint();
  const batch: GpuSample[] = [];
  for (let i = 0; i < rows; i++) {
    batch.push({ t: t0 + i * 100, uuid: 'GPU-bench', index: 0, powerW: 150 + (i % 7), powerInstantW: null, powerLimitW: null, utilGpuPct: i % 100,
      utilMemPct: 40, memUsedMiB: 20480, memTotalMiB: 81559, tempC: 60, smClockMHz: null });
    if (batch.length === BATCH_ROWS || i === rows - 1) {
      set.imports.write(() => {
        set.samples.addGpu(batch);
        set.samples.flush();
      });
      batch.length = 0;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  set.close();
  process.stdout.write(JSON.stringify({ rows, seconds, peakRssMB: peakRssMB() }) + '\n');
}

/** Imports `log` (or, with SQLITE_FLAG, stores `rows` rows alone) into a fresh home in a child, so its VmHWM is its own. */
async function importInChild(log: string, home: string, flag = CHILD_FLAG): Promise<{ rows: number; seconds: number; peakRssMB: number }> {
  const proc = spawnProcess(process.execPath, [fileURLToPath(import.meta.url), flag, log, home], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(proc, 'close')) as [number | null];
  if (code !== 0) throw internal(`import bench child exited with ${code}`);
  return JSON.parse(out) as { rows: number; seconds: number; peakRssMB: number };
}

/**
 * `profiler import` as a user runs it, in a fresh home: Node's start-up, the configuration, the import and the
 * analysis of the imported run (stabilization, estimates). Its peak RSS is polled from /proc (VmHWM only grows).
 */
async function cliImport(log: string, home: string): Promise<{ seconds: number; peakRssMB: number }> {
  const start = process.hrtime.bigint();
  const proc = spawnProcess(process.execPath, [cliPath(), 'import', '--gpu-csv', log], {
    stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PROFILER_HOME: home },
  });
  let peak = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      /* exited between two polls */
    }
  }, 20);
  const [code] = (await once(proc, 'close')) as [number | null];
  clearInterval(poll);
  if (code !== 0) throw internal(`profiler import exited with ${code}`);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, peakRssMB: peak };
}

/** Generates a synthetic log of `sizeMB` MB once and imports it `runs` times (default 1), each in a fresh child. */
export async function benchImport(opts: { sizeMB: number; runs: number }): Promise<{ mbPerS: number[]; peakRssMB: number[]; rows: number;
  /** Import time over the time SQLite alone takes to store the same rows, per run (interleaved). */
  vsSqlite: number[]; sqliteRssMB: number[];
  /** The command as a user runs it (start-up, import, analysis). */
  cliMbPerS: number[]; cliRssMB: number[] }>;
export async function benchImport(opts: { sizeMB: number }): Promise<ImportBench>;
export async function benchImport(opts: { sizeMB: number; runs?: number }): Promise<ImportBench | { mbPerS: number[]; peakRssMB: number[]; rows: number; vsSqlite: number[]; sqliteRssMB: number[]; cliMbPerS: number[]; cliRssMB: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-import-'));
  try {
    const log = join(dir, 'gpu.csv');
    await writeSyntheticLog(log, opts.sizeMB * 1e6);
    const sizeMB = statSync(log).size / 1e6;
    const got = [];
    const ref: { rows: number; seconds: number; peakRssMB: number }[] = [];
    const cli: { seconds: number; peakRssMB: number }[] = [];
    for (let r = 0; r < (opts.runs ?? 1); r++) {
      got.push(await importInChild(log, join(dir, `home${r}`)));
      rmSync(join(dir, `home${r}`), { recursive: true, force: true });
      if (opts.runs === undefined) continue;
      ref.push(await importInChild(String(got[r]!.rows), join(dir, `ref${r}`), SQLITE_FLAG));
      rmSync(join(dir, `ref${r}`), { recursive: true, force: true });
      cli.push(await cliImport(log, join(dir, `cli${r}`)));
      rmSync(join(dir, `cli${r}`), { recursive: true, force: true });
    }
    if (opts.runs === undefined) {
      const r = got[0]!;
      return { mbPerS: sizeMB / r.seconds, peakRssMB: r.peakRssMB, rows: r.rows };
    }
    return { mbPerS: got.map((r) => sizeMB / r.seconds), peakRssMB: got.map((r) => r.peakRssMB), rows: got[0]?.rows ?? 0,
      vsSqlite: got.map((g, k) => g.seconds / ref[k]!.seconds), sqliteRssMB: ref.map((r) => r.peakRssMB),
      cliMbPerS: cli.map((c) => sizeMB / c.seconds), cliRssMB: cli.map((c) => c.peakRssMB) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if ((process.argv[2] === CHILD_FLAG || process.argv[2] === SQLITE_FLAG) && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const run = process.argv[2] === SQLITE_FLAG ? sqliteChild(Number(process.argv[3]), process.argv[4] as string) : child(process.argv[3] as string, process.argv[4] as string);
  run.catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
