#!/usr/bin/env node
// GPU energy of the latest run three ways, from its stored samples: NVML's total-energy counter, ∫ power.draw and
// ∫ power.draw.instant (trapezoid), per GPU and in total, plus the epoch figures the run JSON gives.
// Usage (after a `profiler run`): PROFILER_HOME=… node scripts/nvml-compare.mjs [RUN_ID]
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';

const Database = createRequire(import.meta.url)('better-sqlite3');
const home = process.env.PROFILER_HOME ?? path.join(process.env.XDG_DATA_HOME ?? path.join(homedir(), '.local/share'), 'train-profiler');
const db = new Database(path.join(home, 'profiler.db'), { readonly: true });
const run = process.argv[2]
  ? db.prepare('SELECT * FROM runs WHERE id = ?').get(process.argv[2])
  : db.prepare("SELECT * FROM runs WHERE status != 'imported' ORDER BY started_at DESC LIMIT 1").get();
if (!run) throw new Error(`no run in ${home}`);
const from = run.started_at;
const to = run.ended_at ?? Date.now();
const devices = db.prepare('SELECT d.id, d.uuid, d.name FROM run_devices rd JOIN devices d ON d.id = rd.dev WHERE rd.rid = ?').all(run.rid);

/** Trapezoid integral (J) of a centiwatt column over [from, to], each edge interpolated. */
function integral(dev, column) {
  const rows = db.prepare(`SELECT t, ${column} AS cw FROM gpu_samples WHERE dev = ? AND t >= ? AND t <= ? AND ${column} IS NOT NULL ORDER BY t`)
    .all(dev, from - 1000, to + 1000);
  let j = 0;
  for (let i = 1; i < rows.length; i++) {
    const a = Math.max(rows[i - 1].t, from);
    const b = Math.min(rows[i].t, to);
    if (b <= a) continue;
    const at = (t) => rows[i - 1].cw + ((rows[i].cw - rows[i - 1].cw) * (t - rows[i - 1].t)) / (rows[i].t - rows[i - 1].t);
    j += ((at(a) + at(b)) / 2 / 100) * ((b - a) / 1000);
  }
  return { j, n: rows.length };
}

/** Counter difference (J) over [from, to], linearly interpolated at both ends; null without reads around them. */
function counter(dev) {
  const at = (t) => {
    const a = db.prepare('SELECT t, energy_mj AS mj FROM gpu_energy WHERE dev = ? AND t <= ? ORDER BY t DESC LIMIT 1').get(dev, t);
    const b = db.prepare('SELECT t, energy_mj AS mj FROM gpu_energy WHERE dev = ? AND t >= ? ORDER BY t LIMIT 1').get(dev, t);
    if (!a || !b) return null;
    return b.t === a.t ? a.mj : a.mj + ((b.mj - a.mj) * (t - a.t)) / (b.t - a.t);
  };
  const [a, b] = [at(from), at(to)];
  const reads = db.prepare('SELECT count(*) FROM gpu_energy WHERE dev = ? AND t >= ? AND t <= ?').pluck().get(dev, from, to);
  const resets = db.prepare('SELECT count(*) FROM gpu_energy WHERE dev = ? AND reset = 1 AND t >= ? AND t <= ?').pluck().get(dev, from, to);
  return { j: a === null || b === null ? null : (b - a) / 1000, reads, resets };
}

const pct = (x, ref) => (x === null || !ref ? '—' : `${(((x - ref) / ref) * 100).toFixed(2)} %`);
const fmt = (j) => (j === null ? '—' : `${j.toFixed(1)} J`);
console.log(`run ${run.id} (${run.status}), ${((to - from) / 1000).toFixed(1)} s, ${devices.length} GPU(s)`);
let tot = { c: 0, d: 0, i: 0, cOk: true };
for (const d of devices) {
  const c = counter(d.id);
  const draw = integral(d.id, 'power_cw');
  const inst = integral(d.id, 'power_instant_cw');
  console.log(`${d.uuid} ${d.name ?? ''}: counter ${fmt(c.j)} (${c.reads} reads, ${c.resets} resets)  ∫power.draw ${fmt(draw.j)} (${draw.n} samples, ` +
    `${pct(draw.j, c.j)} vs counter)  ∫power.draw.instant ${inst.n > 0 ? fmt(inst.j) : '—'} (${pct(inst.n > 0 ? inst.j : null, c.j)} vs counter)`);
  tot = { c: tot.c + (c.j ?? 0), d: tot.d + draw.j, i: tot.i + inst.j, cOk: tot.cOk && c.j !== null };
}
console.log(`total: counter ${tot.cOk ? fmt(tot.c) : '—'}  ∫power.draw ${fmt(tot.d)} (${pct(tot.d, tot.cOk ? tot.c : null)})  ` +
  `∫power.draw.instant ${fmt(tot.i)} (${pct(tot.i, tot.cOk ? tot.c : null)})`);
const e = run.energy ? JSON.parse(run.energy) : null;
if (e) console.log(`run JSON: gpuJ ${fmt(e.gpuJ)} method ${e.gpuMethod ?? 'integral'}  gpuCounterJ ${fmt(e.gpuCounterJ ?? null)}  gpuIntegralJ ${fmt(e.gpuIntegralJ ?? e.gpuJ)}${e.gpuNote ? `  note: ${e.gpuNote}` : ''}`);
