#!/usr/bin/env node
// Benchmark runner: `node dist/bench/index.js [--quick] [--out PATH]` (or BENCH_RESULTS=PATH). Prints a table
// and merges results by key into bench/results.json so benchmarks can be run and added independently.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { closeMatrixProfileWorkers } from '../analysis/matrix-profile.js';
import { benchMatrixProfile, type BenchResult } from './matrix-profile.js';

/** Registered benchmarks, run in order. */
const BENCHMARKS: Array<{ name: string; run: (opts: { quick: boolean }) => Promise<BenchResult[]> }> = [
  { name: 'matrix-profile', run: benchMatrixProfile },
];

function parseArgs(argv: string[]): { quick: boolean; out: string } {
  let quick = false;
  let out = process.env.BENCH_RESULTS || 'bench/results.json';
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--quick') quick = true;
    else if (a === '--out') {
      const v = argv[++k];
      if (!v) throw new Error('--out needs a path');
      out = v;
    } else throw new Error(`unknown argument ${String(a)} (use --quick, --out PATH)`);
  }
  return { quick, out: path.resolve(out) };
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

const fmt = (s: number | null, digits = 3): string => (s === null ? '-' : s.toFixed(digits));

function printTable(rows: BenchResult[]): void {
  const header = ['benchmark', 'params', 'median s', 'min s', 'max s', 'baseline s', 'ratio'];
  const body = rows.map((r) => [
    r.benchmark,
    Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' '),
    fmt(r.medianS),
    fmt(r.minS),
    fmt(r.maxS),
    fmt(r.baselineS),
    fmt(r.ratio, 2),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((x, c) => x.padEnd(widths[c]!)).join('  ');
  process.stdout.write([line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n');
}

async function main(): Promise<void> {
  const { quick, out } = parseArgs(process.argv.slice(2));
  const rows: BenchResult[] = [];
  for (const b of BENCHMARKS) rows.push(...(await b.run({ quick })));
  printTable(rows);
  const merged = readExisting(out);
  const meta = { measuredAt: new Date().toISOString(), quick, node: process.version, cpu: cpus()[0]?.model ?? null, cpus: cpus().length };
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
