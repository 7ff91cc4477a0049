import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch as osArch, cpus, release as osRelease, tmpdir, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { loadConfig } from '../../src/config/load.js';
import { CODECARBON_COLUMNS } from '../../src/export/carbon.js';
import { exportParts, exportRun, type ExportFormat, type ExportOptions } from '../../src/export/index.js';
import { SAMPLE_COLUMNS } from '../../src/export/tabular.js';
import { writeParts } from '../../src/export/write.js';
import { importRun } from '../../src/import/importer.js';
import { openRunSet } from '../../src/runs/open.js';
import { EpochStore } from '../../src/store/epochs.js';
import { RunStore, type RunRow } from '../../src/store/runs.js';
import { SampleStore } from '../../src/store/samples.js';

const tmp = mkdtempSync(join(tmpdir(), 'import-export-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cfg = loadConfig({ env: { PROFILER_HOME: tmp } });
const deps = openRunSet(cfg, { path: join(tmp, 'profiler.db') });
after(() => deps.close());
const { db, runs, epochs, samples, energy } = deps;

const T0 = new Date(2026, 6, 14, 8, 0, 0, 0).getTime();
const N = 600;

/** A recorded-like run: two GPUs at 200 ms, process RSS every second, three epochs, energy sealed as Recorder does. */
function recordedRun(): RunRow {
  const run = runs.create({ name: 'orig', command: ['python', 'train.py'], cwd: null, startedAt: T0, expectedEpochs: 3, clientPid: null, sampleMs: 200, meta: {} });
  const uuids = ['GPU-11111111-2222-3333-4444-555555555555', 'GPU-66666666-7777-8888-9999-000000000000'];
  for (let i = 0; i < N; i++) {
    uuids.forEach((uuid, g) => samples.addGpu([{
      t: T0 + i * 200 + g, uuid, index: g, powerW: 100 + 80 * Math.sin(i / 17) + g * 30, powerInstantW: null, powerLimitW: 350,
      utilGpuPct: i % 100, utilMemPct: 40, memUsedMiB: 20_000, memTotalMiB: 24_268, tempC: 60, smClockMHz: 1800,
    }]));
  }
  for (let s = 0; s * 1000 < N * 200; s++) samples.addProc({ rid: run.rid, t: T0 + s * 1000 + 3, rssBytes: (4000 + 10 * s) * 1048576, cpuPct: 100, nProcs: 3 });
  samples.flush();
  db.prepare("UPDATE devices SET name = 'NVIDIA GeForce RTX 3090', idx = id - 1, max_power_limit_w = 350, mem_total_mib = 24268").run();
  runs.setDevices(run.rid, uuids.map((u) => samples.deviceId(u)), 'all');
  const ends = [T0 + 40_000, T0 + 80_000, T0 + (N - 1) * 200 + 1];
  let start = T0;
  ends.forEach((end, k) => {
    epochs.open(run.rid, start, k, 'keras');
    epochs.close(run.rid, k + 1, end);
    start = end;
  });
  runs.update(run.rid, { status: 'succeeded', exit_code: 0, ended_at: ends[2] as number });
  const ended = runs.byId(run.id) as RunRow;
  const { energy: e } = energy.compute(ended, ended.ended_at as number, { writeEpochs: true });
  runs.update(run.rid, { energy: e });
  return runs.byId(run.id) as RunRow;
}

const original = recordedRun();
const E0 = original.energy as { totalJ: number; gpuJ: number; ramJ: number };

async function collect(format: ExportFormat, opts: ExportOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of exportRun(deps, original, format, opts).chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

test('nvsmi round trip: export the study layout, import it back, same energies within 0.1 %', async () => {
  const dir = join(tmp, 'nv') + '/';
  const paths = await writeParts(exportParts(deps, original, 'nvsmi'), { out: dir, force: false }, process.stdout);
  const names = readdirSync(dir).sort();
  assert.deepEqual(names, ['cpu-mem-usage-20260714T080000.csv', 'epoch_end-20260714T080000.csv', 'gpu-power-20260714T080000.csv', 'gpu1-power-20260714T080000.csv']);
  assert.equal(paths.length, 4);
  const gpu = readFileSync(join(dir, 'gpu-power-20260714T080000.csv'), 'utf8').split('\n');
  assert.equal(gpu[0], 'timestamp,gpu_name,gpu_usage,gpu_memory_usage,gpu_total_memory,gpu_memory_used,gpu_power_draw,gpu_max_power,gpu_temperature');
  assert.match(gpu[1] as string, /^2026-07-14 08:00:00\.000,NVIDIA GeForce RTX 3090,0 %,40 %,24268 MiB,20000 MiB,100\.00 W,350\.00 W,60$/);
  assert.match(readFileSync(join(dir, 'epoch_end-20260714T080000.csv'), 'utf8'), /^epoch,end_time\n0,2026-07-14 08:00:40\.000000\n1,/);
  const back = await importRun(deps, {
    gpuCsv: [join(dir, names[2] as string), join(dir, names[3] as string)], memCsv: join(dir, names[0] as string), epochsCsv: join(dir, names[1] as string),
  });
  assert.equal(back.gpuRows, 2 * N);
  assert.equal(back.epochs, 3);
  assert.equal(back.sampleMs, 200);
  for (const k of ['totalJ', 'gpuJ', 'ramJ'] as const) {
    const rel = Math.abs(back.energy[k] - E0[k]) / E0[k];
    assert.ok(rel < 0.001, `${k}: ${back.energy[k]} vs ${E0[k]} (${(rel * 100).toFixed(4)} %)`);
  }
  const a = epochs.list(original.rid);
  const b = epochs.list((runs.byId(back.id) as RunRow).rid);
  a.forEach((e, i) => assert.ok(Math.abs((b[i]?.gpu_j as number) - (e.gpu_j as number)) / (e.gpu_j as number) < 0.001, `epoch ${e.epoch}`));
});

test('csv and json exports parse back: header, one row per sample, epochs and RAM filled in', async () => {
  const csv = (await collect('csv')).toString('utf8').trim().split('\n');
  assert.equal(csv[0], SAMPLE_COLUMNS.join(','));
  assert.equal(csv.length - 1, 2 * N);
  const row = Object.fromEntries(SAMPLE_COLUMNS.map((c, i) => [c, (csv[1] as string).split(',')[i]]));
  assert.equal(row.power_w, '100');
  assert.equal(row.epoch, '1');
  assert.equal(row.device_uuid, 'GPU-11111111-2222-3333-4444-555555555555');
  const last = Object.fromEntries(SAMPLE_COLUMNS.map((c, i) => [c, (csv[csv.length - 1] as string).split(',')[i]]));
  assert.equal(last.epoch, '3');
  assert.equal(last.ram_w, '', 'after the last process sample RAM power is unknown, not extrapolated');
  const mid = Object.fromEntries(SAMPLE_COLUMNS.map((c, i) => [c, (csv[2 * 300 + 1] as string).split(',')[i]]));
  assert.equal(Number(mid.t_ms), T0 + 60_000);
  assert.ok(Math.abs(Number(mid.ram_w) - (4590 + 10 * 0.997) * 3.75e-4) < 1e-9, String(mid.ram_w));
  const json = JSON.parse((await collect('json')).toString('utf8')) as { run: { id: string; epochs: unknown[] }; samples: Record<string, unknown>[] };
  assert.equal(json.run.id, original.id);
  assert.equal(json.run.epochs.length, 3);
  assert.equal(json.samples.length, 2 * N);
  assert.deepEqual(Object.keys(json.samples[0] as object), [...SAMPLE_COLUMNS]);
  const per = JSON.parse((await collect('json', { perEpoch: true })).toString('utf8')) as { epochs: { gpu_j: number }[] };
  const sum = per.epochs.reduce((s, e) => s + e.gpu_j, 0);
  assert.ok(Math.abs(sum - E0.gpuJ) < 1e-6 * E0.gpuJ);
  const perCsv = (await collect('csv', { perEpoch: true })).toString('utf8').trim().split('\n');
  assert.equal(perCsv.length, 4);
});

test('parquet reads back with hyparquet: every sample, typed columns, the run JSON in metadata', async () => {
  const buf = await collect('parquet');
  const ab = new Uint8Array(buf).buffer;
  const rows = (await parquetReadObjects({ file: ab })) as Record<string, unknown>[];
  assert.equal(rows.length, 2 * N);
  assert.equal(rows[0]?.power_w, 100);
  assert.equal(rows[0]?.device_uuid, 'GPU-11111111-2222-3333-4444-555555555555');
  assert.equal(Number(rows[0]?.t_ms), T0);
  assert.equal(Number(rows[2 * N - 1]?.epoch), 3);
  const kv = parquetMetadata(ab).key_value_metadata?.find((k) => k.key === 'train-profiler.run');
  assert.equal((JSON.parse(kv?.value ?? '{}') as { id: string }).id, original.id);
});

test('codecarbon and hf-card: CodeCarbon columns, kWh and kg; grams in the card; intensity and PUE applied', async () => {
  const cc = (await collect('codecarbon', { carbonIntensityGPerKWh: 200, pue: 1.5 })).toString('utf8').trim().split('\n');
  assert.equal(cc[0], CODECARBON_COLUMNS.join(','));
  const v = Object.fromEntries(CODECARBON_COLUMNS.map((c, i) => [c, (cc[1] as string).split(',')[i]]));
  const kWh = (E0.totalJ / 3.6e6) * 1.5;
  assert.ok(Math.abs(Number(v.energy_consumed) - kWh) < 1e-12);
  assert.ok(Math.abs(Number(v.emissions) - kWh * 0.2) < 1e-12);
  assert.ok(Math.abs(Number(v.gpu_energy) - E0.gpuJ / 3.6e6) < 1e-12);
  assert.equal(v.cpu_energy, '', 'CPU energy was not measured: empty, not 0');
  assert.equal(v.pue, '1.5');
  assert.equal(v.gpu_model, '2 x NVIDIA GeForce RTX 3090');
  const card = (await collect('hf-card', { trainingType: 'fine-tuning' })).toString('utf8');
  const grams = Number(/\n {2}emissions: ([\d.e-]+)\n/.exec(card)?.[1]);
  assert.ok(Math.abs(grams - (E0.totalJ / 3.6e6) * 475) < 1e-4, card);
  assert.match(card, /\n {2}training_type: "fine-tuning"\n {2}geographical_location: null\n {2}hardware_used: "2 x NVIDIA GeForce RTX 3090"\n/);
});

test('codecarbon: os, CPU and RAM of this machine for a run it recorded, python from meta, country and region from config', async () => {
  const cells = (line: string): string[] => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, CODECARBON_COLUMNS.length)
    .map((m) => (m[1] ?? '').replace(/^"|"$/g, '').replace(/""/g, '"'));
  const row = async (r: typeof original, opts: ExportOptions): Promise<Record<string, string | undefined>> => {
    const parts = exportParts(deps, r, 'codecarbon', opts);
    let text = '';
    for await (const c of (parts[0] as { chunks(): AsyncIterable<string | Uint8Array> }).chunks()) text += c.toString();
    const v = cells(text.trim().split('\n')[1] as string);
    return Object.fromEntries(CODECARBON_COLUMNS.map((c, i) => [c, v[i]]));
  };
  const mine = await row(original, { countryIsoCode: 'FRA', region: 'Occitanie' });
  assert.equal(mine.os, `${osType()}-${osRelease()}-${osArch()}`);
  assert.equal(Number(mine.cpu_count), cpus().length);
  assert.equal(mine.cpu_model, cpus()[0]?.model.trim());
  assert.ok(Math.abs(Number(mine.ram_total_size) - totalmem() / 1024 ** 3) < 0.01, `${mine.ram_total_size} GB`);
  assert.deepEqual([mine.country_iso_code, mine.region, mine.python_version], ['FRA', 'Occitanie', '']);
  runs.update(original.rid, { meta: { python_version: '3.11.4' } });
  assert.equal((await row(runs.byId(original.id) as typeof original, {})).python_version, '3.11.4');
  runs.update(original.rid, { meta: {} });
  const elsewhere = await row({ ...original, host: 'another-node' }, {});
  const imported = await row({ ...original, status: 'imported' }, {});
  for (const v of [elsewhere, imported]) {
    assert.deepEqual([v.os, v.cpu_count, v.cpu_model, v.ram_total_size, v.country_iso_code], ['', '', '', '', ''], 'not this machine: empty');
    assert.equal(v.gpu_count, '2', 'the GPUs come from the run itself');
  }
});

test('files are never overwritten without force, never written outside the named folder, parquet never to stdout', async () => {
  const out = join(tmp, 'x.csv');
  writeFileSync(out, 'keep me');
  await assert.rejects(writeParts(exportParts(deps, original, 'csv'), { out, force: false }, process.stdout), /exists already: use --force/);
  assert.equal(readFileSync(out, 'utf8'), 'keep me');
  await writeParts(exportParts(deps, original, 'csv'), { out, force: true }, process.stdout);
  assert.match(readFileSync(out, 'utf8'), /^time,t_ms,/);
  const prefixed = await writeParts(exportParts(deps, original, 'nvsmi'), { out: join(tmp, 'pre', '..', 'run7'), force: false }, process.stdout);
  for (const p of prefixed) assert.equal(p.startsWith(join(tmp, 'run7-')), true, p);
  await assert.rejects(writeParts(exportParts(deps, original, 'nvsmi'), { out: join(tmp, 'run7'), force: false }, process.stdout), /exists already/);
  await assert.rejects(writeParts(exportParts(deps, original, 'parquet'), { out: null, force: false }, process.stdout), /binary: give --out FILE/);
  await assert.rejects(writeParts(exportParts(deps, original, 'nvsmi'), { out: null, force: false }, process.stdout), /writes 4 files/);
  let text = '';
  const sink = new Writable({ write(c: Buffer, _e, cb) { text += c.toString(); cb(); } });
  assert.deepEqual(await writeParts(exportParts(deps, original, 'hf-card'), { out: null, force: false }, sink), []);
  assert.match(text, /^# train-profiler run /);
});
