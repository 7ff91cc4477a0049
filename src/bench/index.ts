#!/usr/bin/env node
// Benchmark runner: `node dist/bench/index.js [--quick] [--full] [--only NAME,…] [--out PATH]` (or BENCH_RESULTS).
// Prints a table and merges figures by key into bench/results.json so benchmarks can be run independently.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { closeMatrixProfileWorkers } from '../analysis/matrix-profile.js';
import { benchApi, benchImportFigures } from './figures.js';
import { benchDaemon } from './daemon.js';
import { benchLatency } from './latency.js';
import { benchMatrixProfile } from './matrix-profile.js';
import { benchMatrixProfileIncremental } from './matrix-profile-incremental.js';
import { benchPassthrough } from './passthrough.js';
import { benchScaling } from './scaling.js';
import { benchStabilization } from './stabilization.js';
import { benchStore } from './store.js';
import type { Figure } from './util.js';
import { usage } from '../errors.js';

export interface BenchOpts {
  quick: boolean;
  full: boolean;
}

/** Registered benchmarks, run in order. */
const BENCHMARKS: Array<{ name: string; run: (opts: BenchOpts) => Promise<Figure[]> }> = [
  { name: 'matrix-profile', run: benchMatrixProfile },
  { name: 'matrix-profile-incremental', run: benchMatrixProfileIncremental },
  { name: 'stabilization', run: benchStabilization },
  { name: 'store', run: benchStore },
  { name: 'daemon', run: benchDaemon },
  { name: 'latency', run: benchLatency },
  { name: 'passthrough', run: benchPassthrough },
  { name: 'api', run: benchApi },
  { name: 'import', run: benchImportFigures },
  { name: 'scaling', run: benchScaling },
];

function parseArgs(argv: string[]): BenchOpts & { out: string; only: Set<string> | null } {
  let quick = false;
  let full = false;
  let only: Set<string> | null = null;
  let out = process.env.BENCH_RESULTS || 'bench/results.json';
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--quick') quick = true;
    else if (a === '--full') full = true;
    else if (a === '--out' || a === '--only') {
      const v = argv[++k];
      if (!v) throw usage(`${a} needs a value`);
      if (a === '--out') out = v;
      else only = new Set(v.split(','));
    } else throw usage(`unknown argument ${String(a)} (use --quick, --full, --only NAME,…, --out PATH)`);
  }
  for (const n of only ?? []) {
    if (!BENCHMARKS.some((b) => b.name === n)) throw usage(`unknown benchmark ${n} (one of ${BENCHMARKS.map((b) => b.name).join(', ')})`);
  }
  return { quick, full, only, out: path.resolve(out) };
}

function readExisting(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // An unreadable results file is replaced rather than blocking the benchmark.
  }
  process.stderr.write(`warning: ${file} is not a JSON object; starting a new one\n`);
  return {};
}

/** Three significant digits, no exponent for everyday magnitudes. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a === 0) return '0';
  const p = v.toPrecision(3);
  return p.includes('.') && !p.includes('e') ? p.replace(/\.?0+$/, '') : p;
}

export function formatTable(rows: Figure[]): string {
  const header = ['benchmark', 'params', 'median', 'min', 'max', 'unit', 'target', 'met'];
  const body = rows.map((r) => [
    r.benchmark,
    Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' '),
    num(r.median),
    num(r.min),
    num(r.max),
    r.unit,
    r.target ? `${r.target.op} ${num(r.target.value)}` : '-',
    r.met === null ? '-' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((x, c) => x.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

async function main(): Promise<void> {
  const { quick, full, only, out } = parseArgs(process.argv.slice(2));
  const rows: Figure[] = [];
  for (const b of BENCHMARKS) {
    if (only && !only.has(b.name)) continue;
    const t0 = performance.now();
    rows.push(...(await b.run({ quick, full })));
    process.stderr.write(`${b.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  process.stdout.write(formatTable(rows));
  const merged = readExisting(out);
  const meta = { measuredAt: new Date().toISOString(), quick, node: process.version, cpu: cpus()[0]?.model ?? null,
    cpus: cpus().length, memGB: Math.round(totalmem() / 2 ** 30), loadavg1m: loadavg()[0] };
  for (const r of rows) merged[r.key] = { ...r, ...meta };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(merged, null, 2) + '\n');
  process.stdout.write(`results written to ${out}\n`);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => closeMatrixProfileWorkers());
