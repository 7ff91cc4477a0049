import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { importRun } from '../../../src/import/importer.js';
import { DIFFS_KEPT, GPU_BATCH_ROWS } from '../../../src/import/gpu-file.js';
import { openRunSet } from '../../../src/runs/open.js';
import type { DB } from '../../../src/store/db.js';
import { EpochStore } from '../../../src/store/epochs.js';
import { RunStore } from '../../../src/store/runs.js';

const TRACES = resolve('test/fixtures/traces');
const tmp = mkdtempSync(join(tmpdir(), 'import-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cfg = loadConfig({ env: { PROFILER_HOME: tmp } });
const set = openRunSet(cfg, { path: join(tmp, 'profiler.db') });
const db: DB = set.db;
after(() => set.close());

const TABLES = ['runs', 'devices', 'run_devices', 'gpu_samples', 'proc_samples', 'epochs', 'events'];
const counts = (): Record<string, number> =>
  Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
let fileNo = 0;
const write = (text: string): string => {
  const p = join(tmp, `in-${fileNo++}.csv`);
  writeFileSync(p, text);
  return p;
};
const STUDY_HEAD = 'timestamp,gpu_name,gpu_usage,gpu_memory_usage,gpu_total_memory,gpu_memory_used,gpu_power_draw,gpu_max_power,gpu_temperature\n';
const studyRow = (s: number, w: number): string => `2023-01-21 12:21:${String(s).padStart(2, '0')}.000,NVIDIA GeForce RTX 3070,50 %,2 %,8192 MiB,7131 MiB,${w.toFixed(2)} W,240.00 W,36\n`;
const goodGpu = (): string => write(STUDY_HEAD + [0, 1, 2, 3, 4, 5].map((s) => studyRow(s, 100)).join(''));

test('every real trace imports within 1 % of the GPU energy the study published', async () => {
  const ref = readFileSync(join(TRACES, 'reference.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  assert.equal(ref.length, 8);
  const errors: number[] = [];
  for (const r of ref) {
    const file = r[0] as string;
    const published = Number(r[5]) * 1000;
    const res = await importRun(set, { gpuCsv: [join(TRACES, file)], memCsv: join(TRACES, file.replace('gpu-power', 'cpu-mem-usage')) });
    const err = (res.energy.gpuJ - published) / published;
    errors.push(Math.abs(err));
    console.log(`# ${file}: ${(res.energy.gpuJ / 1000).toFixed(3)} kJ vs ${r[5]} kJ published (${(err * 100).toFixed(3)} %)`);
    assert.ok(Math.abs(err) < 0.01, `${file}: ${(err * 100).toFixed(3)} %`);
    assert.equal(res.gpuRows, Number(r[4]), 'every complete row of the log is a sample');
    assert.ok(res.memRows > 0 && res.energy.ramJ > 0);
    const run = new RunStore(db).byId(res.id);
    assert.equal(run?.status, 'imported');
    assert.deepEqual(run?.energy?.gpuJ, res.energy.gpuJ);
  }
  errors.sort((a, b) => a - b);
  console.log(`# median |error| ${(((errors[3] as number) + (errors[4] as number)) / 2 * 100).toFixed(3)} %`);
});

test('a last line cut off mid-row is skipped and reported; the same cut anywhere else is an error', async () => {
  const cut = write(STUDY_HEAD + studyRow(0, 100) + studyRow(1, 100) + '2023-01-21 12:21:02.000,NVIDIA GeForce RTX 3070,50 %,2 %,81');
  const r = await importRun(set, { gpuCsv: [cut] });
  assert.equal(r.gpuRows, 2);
  assert.deepEqual(r.cutLines, [cut]);
  assert.equal(r.energy.gpuJ, 100);
  const before = counts();
  const mid = write(STUDY_HEAD + studyRow(0, 100) + '2023-01-21 12:21:01.000,NVIDIA GeForce RTX 3070,50 %\n' + studyRow(2, 100));
  await assert.rejects(importRun(set, { gpuCsv: [mid] }), { message: `${mid}:3: expected 9 columns, got 3` });
  assert.deepEqual(counts(), before);
});

test('malformed inputs fail with FILE:LINE and leave the database unchanged', async () => {
  const gpu = goodGpu();
  const cases: [Parameters<typeof importRun>[1], RegExp][] = [
    [{ gpuCsv: [write(STUDY_HEAD + studyRow(0, 1) + studyRow(1, 1).replace('1.00 W', 'abc W') + studyRow(2, 1))] }, /:3: column "power.draw": not a number: "abc W"$/],
    [{ gpuCsv: [write(STUDY_HEAD + studyRow(0, 1) + studyRow(1, 1).replace('12:21:01', '12:61:01') + studyRow(2, 1))] }, /:3: bad timestamp "2023-01-21 12:61:01.000"$/],
    [{ gpuCsv: [write(STUDY_HEAD + studyRow(0, 1) + studyRow(1, 1).replace(',36\n', ',36,7\n') + studyRow(2, 1))] }, /:3: expected 9 columns, got 10$/],
    [{ gpuCsv: [write(STUDY_HEAD + studyRow(5, 1) + studyRow(1, 1) + studyRow(6, 1))] }, /:3: time goes backwards by 4000 ms/],
    [{ gpuCsv: [write('')] }, /in-\d+\.csv:1: empty file/],
    [{ gpuCsv: [write(STUDY_HEAD)] }, /:2: no GPU samples/],
    [{ gpuCsv: [join(tmp, 'missing.csv')] }, /missing\.csv:0: cannot open: ENOENT/],
    [{ gpuCsv: [gpu], epochsCsv: write('epoch,end_time\n0,2023-01-21 12:21:02.000\nrubbish\n1,2023-01-21 12:21:04.000\n') }, /:3: expected 2 columns \(epoch,end_time\), got 1$/],
    [{ gpuCsv: [gpu], epochsCsv: write('epoch,end_time\n0,2023-01-21 12:21:03.000\n1,2023-01-21 12:21:02.000\n2,2023-01-21 12:21:04.000\n') }, /:3: end_time is before the previous epoch end$/],
    [{ gpuCsv: [gpu], epochsCsv: write('no header here\n') }, /:1: expected the header "epoch,end_time"/],
    [{ gpuCsv: [gpu], memCsv: write('timestamp,cpu usage (%),memory usage (MB)\n2023-01-21T12:21:00.5,1,100\n2023-01-21T12:21:01.5,1,-\n2023-01-21T12:21:02.5,1,100\n') }, /:3: memory usage \(MB\): not a number: "-"$/],
  ];
  for (const [opts, re] of cases) {
    const before = counts();
    await assert.rejects(importRun(set, opts), (err: Error) => {
      assert.match(err.message, re);
      return true;
    });
    assert.deepEqual(counts(), before, `database changed after ${re}`);
    assert.equal(db.inTransaction, false);
  }
});

test('epochs follow the study: the first starts at the first GPU sample; per-epoch energy sums to the epochs span', async () => {
  const gpu = goodGpu();
  const ep = write('epoch,end_time\n0,2023-01-21 12:21:02.000000\n1,2023-01-21 12:21:04.500000\n');
  const r = await importRun(set, { gpuCsv: [gpu], epochsCsv: ep, name: 'with epochs' });
  assert.equal(r.epochs, 2);
  const run = new RunStore(db).byId(r.id);
  assert.ok(run);
  const rows = new EpochStore(db).list(run.rid);
  assert.equal(rows[0]?.started_at, run.started_at);
  assert.equal(rows[0]?.printed, 0);
  assert.equal(rows[1]?.started_at, rows[0]?.ended_at);
  assert.equal(rows[0]?.gpu_j, 200);
  assert.equal(rows[1]?.gpu_j, 250);
  assert.equal(r.energy.gpuJ, 500, 'the run keeps the whole log');
  assert.equal(run.expected_epochs, 2);
  assert.equal(run.name, 'with epochs');
});

test('interleaved GPUs: by uuid column, by index column, and by a repeating group without either', async () => {
  const t = (s: number): string => `2026/07/14 08:12:${String(s).padStart(2, '0')}.000`;
  const byUuid = write('timestamp, uuid, power.draw [W]\n' + [0, 1, 2].map((s) => `${t(s)}, GPU-aaa, 100.00 W\n${t(s)}, GPU-bbb, 50.00 W\n`).join(''));
  const a = await importRun(set, { gpuCsv: [byUuid] });
  assert.deepEqual(a.devices, ['GPU-aaa', 'GPU-bbb']);
  assert.equal(a.energy.gpuJ, 300);
  const byIndex = write('timestamp, index, name, power.draw [W]\n' + [0, 1, 2].map((s) => `${t(s)}, 0, A, 100.00 W\n${t(s)}, 1, A, 50.00 W\n`).join(''));
  const b = await importRun(set, { gpuCsv: [byIndex] });
  assert.equal(b.devices.length, 2);
  assert.equal(b.energy.gpuJ, 300);
  const grouped = write(STUDY_HEAD + [0, 1, 2, 3].map((s) => studyRow(s, 100) + studyRow(s, 50)).join(''));
  const c = await importRun(set, { gpuCsv: [grouped] });
  assert.equal(c.devices.length, 2);
  assert.equal(c.energy.gpuJ, 450);
  const devs = new RunStore(db).devices((new RunStore(db).byId(c.id) as { rid: number }).rid);
  assert.deepEqual(devs.map((d) => [d.idx, d.name, d.max_power_limit_w]), [[0, 'NVIDIA GeForce RTX 3070', 240], [1, 'NVIDIA GeForce RTX 3070', 240]]);
  const names = write(STUDY_HEAD + [0, 1, 2].map((s) => studyRow(s, 100) + studyRow(s, 50).replace('RTX 3070', 'RTX 3090')).join(''));
  assert.equal((await importRun(set, { gpuCsv: [names] })).devices.length, 2);
});

test('the same files imported again are refused naming the run they became, a copy too; --force imports them', async () => {
  const gpu = write(STUDY_HEAD + [0, 1, 2, 3].map((s) => studyRow(s, 120)).join('').replace(/12:21:/g, '13:44:'));
  const first = await importRun(set, { gpuCsv: [gpu], name: 'dup-test' });
  const before = counts();
  await assert.rejects(importRun(set, { gpuCsv: [gpu] }), (e: Error & { code?: string }) =>
    e.code === 'PROF_ERR_CONFLICT' && e.message === `${gpu} was imported already as run ${first.id} (dup-test) on ${set.runs.byId(first.id)?.meta.importedAt}: use --force to import again`);
  const copy = write(readFileSync(gpu, 'utf8'));
  await assert.rejects(importRun(set, { gpuCsv: [copy] }), new RegExp(`imported already as run ${first.id}`));
  assert.deepEqual(counts(), before, 'a refused import writes nothing');
  const withEpochs = await importRun(set, { gpuCsv: [gpu], epochsCsv: write('epoch,end_time\n0,2023-01-21 13:44:02.000\n') });
  assert.notEqual(withEpochs.id, first.id, 'another set of files is another import');
  const again = await importRun(set, { gpuCsv: [gpu], force: true });
  assert.equal(again.sharedRows, 4, '--force: the new run shares the stored samples');
  const other = write(STUDY_HEAD + [0, 1, 2, 3].map((s) => studyRow(s, 121)).join('').replace(/12:21:/g, '13:45:'));
  assert.equal((await importRun(set, { gpuCsv: [other] })).sharedRows, 0, 'other content of the same size is another log');
});

/** Energy and epochs recomputed from the stored rows, as `profiler show` of a sealed run would compute them. */
function fromStore(id: string, from = set): { energy: unknown; rewritten: number[] } {
  const run = from.runs.byId(id);
  assert.ok(run && run.ended_at !== null);
  const { energy, rewritten } = from.energy.compute(run, run.ended_at, { writeEpochs: true });
  return { energy, rewritten };
}

test('the GPU energy integrated while parsing equals, bit for bit, the one recomputed from the stored rows', async () => {
  const ref = readFileSync(join(TRACES, 'reference.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  // A database of its own: the traces imported above would be shared rows here.
  const own = openRunSet(cfg, { path: join(tmp, 'parse-pass.db') });
  after(() => own.close());
  for (const r of ref) {
    const file = join(TRACES, r[0] as string);
    // Ten epochs ending at rows spread over the log (one between two samples), the last after the last sample.
    const stamps = readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0] as string);
    const ends = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => stamps[Math.floor((k * stamps.length) / 10)] as string);
    ends[4] = (ends[4] as string).replace(/\.(\d)/, (_m, d: string) => `.${(Number(d) + 5) % 10}`);
    ends.sort();
    const last = (stamps[stamps.length - 1] as string).replace(/:(\d\d)\./, (_m, s: string) => `:${String(Math.min(59, Number(s) + 1)).padStart(2, '0')}.`);
    const ep = write('epoch,end_time\n' + [...ends, last].map((t, k) => `${k},${t}`).join('\n') + '\n');
    const res = await importRun(own, { gpuCsv: [file], epochsCsv: ep });
    assert.equal(res.gpuIntegratedIn, 'parse', r[0]);
    assert.equal(res.epochs, 10);
    const again = fromStore(res.id, own);
    assert.deepStrictEqual(again.energy, res.energy, `${r[0]}: the run's stored energy is the store's`);
    assert.deepEqual(again.rewritten, [], `${r[0]}: every epoch aggregate equals its recomputation`);
  }
});

test('parse-pass energy with gaps, missing readings, repeated stamps, two GPUs and equal epoch ends; store pass otherwise', async () => {
  const t = (ms: number): string => `2026/07/14 08:12:${String(Math.floor(ms / 1000)).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
  let body = 'timestamp, uuid, power.draw [W]\n';
  for (let k = 0; k < 200; k++) {
    const ms = k * 100 + (k >= 120 ? 900 : 0); // a 1 s hole between k = 119 and 120: more than 3 intervals
    body += `${t(ms)}, GPU-p1, ${k === 50 ? '[N/A]' : `${(100 + k * 0.37).toFixed(2)} W`}\n`;
    if (k % 2 === 0) body += `${t(ms)}, GPU-p2, ${(40 + (k % 9)).toFixed(2)} W\n`;
    if (k === 70) body += `${t(ms)}, GPU-p1, 999.00 W\n`; // the same stamp again: the store keeps the first
  }
  const gpu = write(body);
  const ep = write(`epoch,end_time\n1,${t(3050)}\n2,${t(3050)}\n3,${t(9999)}\n4,${t(25000)}\n`);
  const res = await importRun(set, { gpuCsv: [gpu], epochsCsv: ep });
  assert.equal(res.gpuIntegratedIn, 'parse');
  assert.ok(res.energy.gaps.length >= 2, 'the hole, the missing reading and the tail after the last sample are gaps');
  const again = fromStore(res.id);
  assert.deepStrictEqual(again.energy, res.energy);
  assert.deepEqual(again.rewritten, []);
  // The same log again (--force): its rows are stored already and shared, so the energy comes from the store.
  const twice = await importRun(set, { gpuCsv: [gpu], epochsCsv: ep, force: true });
  assert.equal(twice.gpuIntegratedIn, 'store');
  assert.deepStrictEqual(twice.energy, res.energy, 'both ways give the same energy');
  // An epochs file read ahead with a bad line: the import proper reports it, nothing is integrated in the pass.
  await assert.rejects(importRun(set, { gpuCsv: [gpu], epochsCsv: write('epoch,end_time\n1,nonsense\n2,x\n') }), /bad end_time/);
});

test('a log of many batches: the interval becomes known mid-stream, two files, a cut-off last line; parse-pass energy exact', async () => {
  const own = openRunSet(cfg, { path: join(tmp, 'many-batches.db') });
  after(() => own.close());
  const stamp = (ms: number): string => {
    const d = new Date(Date.UTC(2026, 6, 14, 8) + ms);
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
  };
  const log = (rounds: number, from: number): string => {
    let body = 'timestamp, uuid, index, power.draw [W], utilization.gpu [%], memory.used [MiB]\n';
    for (let k = 0; k < rounds; k++) {
      const ms = from + k * 100 + (k >= rounds / 2 ? 1500 : 0); // a 1.6 s hole halfway
      body += `${stamp(ms)}, GPU-a, 0, ${k % 997 === 5 ? '[N/A]' : `${(150 + 50 * Math.sin(k / 40)).toFixed(2)} W`}, ${k % 100} %, 1024 MiB\n`;
      body += `${stamp(ms)}, GPU-b, 1, ${(60 + (k % 13)).toFixed(2)} W, ${(k * 7) % 100} %, ${k % 50 === 0 ? 'N/A' : '2048 MiB'}\n`;
    }
    return body;
  };
  const rounds = 5 * GPU_BATCH_ROWS;
  assert.ok(DIFFS_KEPT < rounds && 2 * rounds > DIFFS_KEPT + 4 * GPU_BATCH_ROWS, 'the interval is known mid-stream, batches still to come');
  const first = write(log(rounds, 0));
  const second = write(log(200, 3_600_000).slice(0, -12)); // the last row cut: '…, 2048 M'
  const ep = write(`epoch,end_time\n1,${stamp(60_000)}\n2,${stamp(60_000)}\n3,${stamp(300_000)}\n4,${stamp(3_700_000)}\n`);
  const res = await importRun(own, { gpuCsv: [first, second], epochsCsv: ep });
  assert.equal(res.gpuIntegratedIn, 'parse');
  assert.deepEqual(res.cutLines, [second]);
  assert.equal(res.gpuRows, 2 * rounds + 2 * 200 - 1);
  assert.deepEqual(res.devices, ['GPU-a', 'GPU-b']);
  assert.equal(res.sampleMs, 100);
  assert.ok(res.energy.gaps.length >= 3, 'the hole, the missing readings and the hour between the files are gaps');
  const again = fromStore(res.id, own);
  assert.deepStrictEqual(again.energy, res.energy, 'the energy integrated in the pass is the store\'s');
  assert.deepEqual(again.rewritten, []);
  const stored = own.db.prepare('SELECT count(*) AS n FROM gpu_samples').get() as { n: number };
  assert.equal(stored.n, res.gpuRows);
});
