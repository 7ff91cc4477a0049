#!/usr/bin/env node
// The detector on the study's real traces (test/fixtures/traces): each imported with `trained_epochs` equal-slice
// epochs, as the study's Keras logs would cut it; prints how each was decided and the projection error at that point.
// Usage: npm run build && node scripts/stabilization-report.mjs [--json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const traces = path.join(root, 'test/fixtures/traces');
const cli = path.join(root, 'dist/cli/index.js');
const home = mkdtempSync(path.join(tmpdir(), 'stab-report-'));
const env = { ...process.env, PROFILER_HOME: home };
const run = (...args) => execFileSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const pad = (n, w = 2) => String(n).padStart(w, '0');
const local = (ms) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}000`;
};
const ref = readFileSync(path.join(traces, 'reference.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const rows = [];
try {
  for (const c of ref) {
    const [file, , , arch] = c;
    const epochs = Number(c[9]);
    const gpu = path.join(traces, file);
    // The run's span from the log itself: first and last timestamp.
    const lines = readFileSync(gpu, 'utf8').trim().split('\n').slice(1);
    const ts = (l) => new Date(l.split(',')[0].replace(/-/g, '/')).getTime();
    const start = ts(lines[0]);
    const end = ts(lines[lines.length - 1]);
    const ep = path.join(home, `${file}.epochs.csv`);
    writeFileSync(ep, ['epoch,end_time', ...Array.from({ length: epochs }, (_, e) => `${e},${local(start + ((e + 1) * (end - start)) / epochs)}`)].join('\n') + '\n');
    const { id } = JSON.parse(run('import', '--gpu-csv', gpu, '--epochs-csv', ep, '--json'));
    const j = JSON.parse(run('show', id, '--json'));
    const measured = j.epochs.reduce((a, e) => a + e.energyJ, 0);
    const p = j.projection;
    const errPct = (v) => (v == null ? null : (100 * Math.abs(v - measured)) / measured);
    rows.push({ trace: `${file.split('-gpu-power-')[0]} ${file.slice(-10, -4)}`, arch, epochs, sliceS: (end - start) / epochs / 1000,
      method: j.stabilization?.method ?? null, epoch: j.stabilization?.epoch ?? null, cacMin: j.stabilization?.cacMin ?? null,
      epochEnergyErrPct: errPct(p?.epochEnergyBasedJ), powerBasedErrPct: errPct(p?.powerBasedJ), reason: j.stabilization?.reason ?? '' });
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
} else {
  const f = (v, d = 2) => (v == null ? '—' : v.toFixed(d));
  console.log('| trace | epochs (slice s) | decision | CAC | epoch-energy err % | power-based err % |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.trace} | ${r.epochs} (${f(r.sliceS, 1)}) | ${r.method ?? '—'} ${r.epoch ?? ''} | ${f(r.cacMin, 3)} | ${f(r.epochEnergyErrPct)} | ${f(r.powerBasedErrPct)} |`);
  const fluss = rows.filter((r) => r.method === 'fluss').length;
  const mape = (k) => rows.reduce((a, r) => a + (r[k] ?? 0), 0) / rows.length;
  console.log(`\ndecided by FLUSS: ${fluss} of ${rows.length}; window-end MAPE epoch-energy ${f(mape('epochEnergyErrPct'))} %, power-based ${f(mape('powerBasedErrPct'))} %`);
}
