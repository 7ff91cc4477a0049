#!/usr/bin/env node
// `node scripts/trace-epochs.mjs GPU_CSV EPOCHS`: prints the study's `epoch,end_time` log for a trace that shipped
// without one (the shared traces in test/fixtures/traces): EPOCHS equal slices from its first to its last sample.
import { readFileSync } from 'node:fs';

const [file, count] = process.argv.slice(2);
const n = Number(count);
if (!file || !Number.isInteger(n) || n < 1) {
  process.stderr.write('usage: node scripts/trace-epochs.mjs GPU_CSV EPOCHS (EPOCHS: an integer >= 1)\n');
  process.exit(2);
}
const TS = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;
const lines = readFileSync(file, 'utf8').split('\n');
const header = (lines[0] ?? '').split(',').map((h) => h.trim());
const power = header.findIndex((h) => h === 'gpu_power_draw' || h.startsWith('power.draw'));
if (power < 0) {
  process.stderr.write(`${file}: no power column in the header\n`);
  process.exit(2);
}
// The log's local time read as UTC and written back the same way: only differences matter, no zone is involved.
const times = lines.slice(1).flatMap((line) => {
  const cells = line.split(',');
  const m = TS.exec((cells[0] ?? '').trim());
  // A row cut off mid-line (some traces end so) is not a sample: the importer skips it too.
  if (!m || cells.length !== header.length || !(cells[power] ?? '').trim().endsWith('W')) return [];
  const ms = Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0'));
  return [Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms)];
});
if (times.length < 2) {
  process.stderr.write(`${file}: fewer than two samples\n`);
  process.exit(2);
}
const [first, last] = [times[0], times[times.length - 1]];
const pad = (v, w = 2) => String(v).padStart(w, '0');
const out = ['epoch,end_time'];
for (let e = 0; e < n; e++) {
  const d = new Date(Math.round(first + ((e + 1) * (last - first)) / n));
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  out.push(`${e},${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`);
}
process.stdout.write(out.join('\n') + '\n');
