import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { importRun, type ImportOptions } from '../../../src/import/importer.js';
import { sweepImports } from '../../../src/runs/imports.js';
import { openRunSet, type RunSet } from '../../../src/runs/open.js';
import type { GpuSample } from '../../../src/samplers/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'import-staging-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cfg = loadConfig({ env: { PROFILER_HOME: tmp } });
const dbPath = join(tmp, 'profiler.db');
const set = openRunSet(cfg, { path: dbPath });
/** A second connection, as the daemon or another command has it. */
const other = openRunSet(cfg, { path: dbPath });
after(() => {
  set.close();
  other.close();
});

const TABLES = ['runs', 'devices', 'run_devices', 'gpu_samples', 'proc_samples', 'epochs', 'events', 'import_devices', 'import_ranges'];
const counts = (): Record<string, number> =>
  Object.fromEntries(TABLES.map((t) => [t, (set.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));

let fileNo = 0;
const write = (text: string): string => {
  const p = join(tmp, `in-${fileNo++}.csv`);
  writeFileSync(p, text);
  return p;
};
const T0 = new Date(2026, 6, 14, 8, 0, 0, 0).getTime();
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const stamp = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
};
/** A log with a uuid column: one row per time of `times` (ms after T0), 100 W. */
const uuidLog = (uuid: string, times: number[], tail = ''): string =>
  write('timestamp, uuid, power.draw [W]\n' + times.map((t) => `${stamp(T0 + t)}, ${uuid}, 100.00 W\n`).join('') + tail);
const every = (from: number, n: number, step = 100): number[] => Array.from({ length: n }, (_, i) => from + i * step);
/** Many batches of good rows, then a malformed line. */
const BIG = 25_000;

async function assertFailsCleanly(opts: ImportOptions, re: RegExp): Promise<void> {
  const before = counts();
  await assert.rejects(importRun(set, opts), (err: Error) => {
    assert.match(err.message, re);
    return true;
  });
  assert.deepEqual(counts(), before, `the database changed after ${re}`);
  assert.equal(set.db.inTransaction, false);
}

describe('an import that fails part-way leaves the database exactly as before', () => {
  it('a bad line after many batches of good rows in the GPU log', async () => {
    const gpu = uuidLog('GPU-fail-1', every(0, BIG), `${stamp(T0 + BIG * 100)}, GPU-fail-1, lots W\n${stamp(T0 + BIG * 100 + 100)}, GPU-fail-1, 1 W\n`);
    await assertFailsCleanly({ gpuCsv: [gpu] }, new RegExp(`:${BIG + 2}: column "power.draw": not a number`));
  });

  it('a bad line after many good rows of the epochs file, and of the process log', async () => {
    const gpu = uuidLog('GPU-fail-2', every(0, 5000));
    const epochs = 'epoch,end_time\n' + every(100, 3000, 100).map((t, i) => `${i},${stamp(T0 + t).replace(/\//g, '-')}\n`).join('') + 'rubbish\n0,x\n';
    await assertFailsCleanly({ gpuCsv: [gpu], epochsCsv: write(epochs) }, /:3002: expected 2 columns/);
    const mem = 'timestamp,cpu usage (%),memory usage (MB)\n' + every(0, BIG, 20).map((t) => `${stamp(T0 + t).replace(/\//g, '-')},1,100\n`).join('') + 'x,1,-\nx,1,1\n';
    await assertFailsCleanly({ gpuCsv: [gpu], memCsv: write(mem) }, new RegExp(`:${BIG + 2}: bad timestamp`));
  });

  it('a failure after the run is complete (the analysis before the reveal) and a second GPU log that is missing', async () => {
    const gpu = uuidLog('GPU-fail-3', every(0, 9000));
    const boom = async (): Promise<never> => {
      throw new RangeError('Array buffer allocation failed');
    };
    await assertFailsCleanly({ gpuCsv: [gpu], beforeReveal: boom }, /Array buffer allocation failed/);
    await assertFailsCleanly({ gpuCsv: [gpu, join(tmp, 'missing.csv')] }, /missing\.csv:0: cannot open/);
  });
});

describe('the run being imported', () => {
  it('is hidden from every listing and lookup until complete, with the devices it created', async () => {
    const uuid = 'GPU-hidden-0';
    const gpu = uuidLog(uuid, every(0, 6000));
    let seen: string | null = null;
    let release = (): void => {};
    const paused = new Promise<void>((r) => (release = r));
    const imp = importRun(set, {
      gpuCsv: [gpu], name: 'hidden',
      beforeReveal: async (id) => {
        seen = id;
        await paused;
      },
    });
    await waitUntil(() => seen !== null);
    const id = seen as unknown as string;
    for (const s of [other, set] as RunSet[]) {
      assert.equal(s.runs.list().some((r) => r.id === id), false);
      assert.equal(s.runs.list({ status: 'imported' }).some((r) => r.id === id), false);
      assert.equal(s.runs.endedSince(0, 1000).some((r) => r.id === id), false);
      assert.notEqual(resolved(s, 'last'), id);
      assert.throws(() => s.runs.resolve(id), /no run matches/);
      assert.notEqual(resolved(s, id.slice(0, 12)), id, 'nor by an id prefix');
      assert.equal(s.runs.allDevices().some((d) => d.uuid === uuid), false);
      assert.deepEqual(Object.keys(s.runs.idleBaseline(T0, T0 + 600_000)).filter((u) => u === uuid), []);
    }
    assert.equal(other.runs.byId(id), undefined);
    assert.equal(set.runs.byId(id)?.status, 'imported', 'the importer itself sees the run it writes');
    release();
    const r = await imp;
    assert.equal(r.id, id);
    assert.equal(other.runs.resolve('last').id, id);
    assert.equal(other.runs.resolve(id).name, 'hidden');
    assert.equal(other.runs.byId(id)?.energy?.gpuJ, r.energy.gpuJ);
    assert.ok(other.runs.allDevices().some((d) => d.uuid === uuid));
    const c = counts();
    assert.deepEqual([c.import_devices, c.import_ranges], [0, 0], 'no bookkeeping left once revealed');
  });
});

describe('an import killed mid-way', () => {
  it('stays hidden while its process lives and is removed by the next sweep once it is gone', async () => {
    const before = counts();
    const dead = spawnSync('true').pid as number;
    const run = set.runs.create({ name: 'killed', command: ['profiler', 'import'], cwd: null, startedAt: T0, expectedEpochs: null,
      clientPid: null, sampleMs: 100, meta: {}, status: 'imported', importPid: dead });
    const rows: GpuSample[] = every(0, 12_000).map((t) => ({ t: T0 + t, uuid: 'GPU-killed', index: 0, powerW: 50, powerInstantW: null,
      powerLimitW: null, utilGpuPct: null, utilMemPct: null, memUsedMiB: null, memTotalMiB: null, tempC: null, smClockMHz: null }));
    for (let i = 0; i < rows.length; i += 4000) set.imports.writeGpu(run.rid, rows.slice(i, i + 4000));
    set.runs.setDevices(run.rid, [set.samples.deviceId('GPU-killed')], 'import');
    for (let s = 0; s < 30; s++) set.samples.addProc({ rid: run.rid, t: T0 + s * 1000, rssBytes: 1e9, cpuPct: 1, nProcs: 1 });
    set.samples.flush();
    set.epochs.close(run.rid, set.epochs.open(run.rid, T0, 0, 'import').epoch, T0 + 500);
    set.runs.addEvent(run.rid, 'gap', {}, T0);
    set.imports.forget(run.rid);
    assert.equal(other.runs.list().some((r) => r.rid === run.rid), false);
    assert.equal(other.runs.resolve('last').name === 'killed', false);

    const live = set.runs.create({ name: 'alive', command: ['profiler', 'import'], cwd: null, startedAt: T0, expectedEpochs: null,
      clientPid: null, sampleMs: 100, meta: {}, status: 'imported', importPid: process.pid });
    const keep = setInterval(() => {}, 1000); // a sweep pauses on unref'd timers
    try {
      const reopened = openRunSet(cfg, { path: dbPath });
      assert.equal(await reopened.sweep, 1, 'a run set opened for writing sweeps the dead import');
      reopened.close();
    } finally {
      clearInterval(keep);
    }
    assert.equal(await sweepImports(set.imports), 0);
    assert.deepEqual(set.imports.hidden().map((h) => h.rid), [live.rid], 'an import whose process lives is left alone');
    set.db.prepare('DELETE FROM runs WHERE rid = ?').run(live.rid);
    assert.deepEqual(counts(), before);
  });
});

describe('importing samples that are stored already', () => {
  it('the same log twice: the second run shares the samples; its failure never removes them', async () => {
    const gpu = uuidLog('GPU-dup', every(0, 9000));
    const first = await importRun(set, { gpuCsv: [gpu] });
    assert.equal(first.sharedRows, 0);
    const stored = counts().gpu_samples;
    const second = await importRun(set, { gpuCsv: [gpu], force: true });
    assert.equal(second.sharedRows, 9000);
    assert.deepEqual(second.sharedWith, [first.id]);
    assert.equal(counts().gpu_samples, stored);
    assert.equal(second.energy.gpuJ, first.energy.gpuJ);
    await assertFailsCleanly({ gpuCsv: [gpu], epochsCsv: write('epoch,end_time\n0,rubbish\n1,x\n') }, /:2: bad end_time/);
    assert.equal(set.runs.byId(first.id)?.energy?.gpuJ, first.energy.gpuJ);
  });

  it('a log overlapping or interleaving stored samples owns exactly the rows it added', async () => {
    const uuid = 'GPU-overlap';
    const first = await importRun(set, { gpuCsv: [uuidLog(uuid, every(0, 6000))] });
    const stored = counts().gpu_samples;
    const overlapping = every(300_000, 6000); // the second half of the first log, then as much again
    const interleaved = every(50, 6000); // between every two samples of the first log
    for (const times of [overlapping, interleaved]) {
      await assertFailsCleanly({ gpuCsv: [uuidLog(uuid, times, 'bad line\nx\n')] }, /:6002: /);
    }
    const b = await importRun(set, { gpuCsv: [uuidLog(uuid, overlapping)] });
    assert.equal(b.sharedRows, 3000);
    assert.deepEqual(b.sharedWith, [first.id]);
    assert.equal(counts().gpu_samples, (stored as number) + 3000);
    assert.equal(set.runs.byId(first.id)?.energy?.gpuJ, first.energy.gpuJ);
  });

  it('samples another unfinished import is writing are refused, naming its process', async () => {
    const run = set.runs.create({ name: null, command: ['profiler', 'import'], cwd: null, startedAt: T0, expectedEpochs: null,
      clientPid: null, sampleMs: 100, meta: {}, status: 'imported', importPid: process.pid });
    const rows: GpuSample[] = every(0, 100).map((t) => ({ t: T0 + t, uuid: 'GPU-busy', index: 0, powerW: 50, powerInstantW: null,
      powerLimitW: null, utilGpuPct: null, utilMemPct: null, memUsedMiB: null, memTotalMiB: null, tempC: null, smClockMHz: null }));
    set.imports.writeGpu(run.rid, rows);
    const log = uuidLog('GPU-busy', every(0, 100));
    await assertFailsCleanly({ gpuCsv: [log] }, new RegExp(`in-\\d+\\.csv: GPU GPU-busy: another import \\(pid ${process.pid}\\) is writing`));
    set.imports.forget(run.rid);
    set.db.prepare('UPDATE runs SET import_pid = ? WHERE rid = ?').run(spawnSync('true').pid, run.rid);
    const ok = await importRun(set, { gpuCsv: [log] });
    assert.equal(ok.sharedRows, 0, 'the next import swept the dead one first');
  });
});

/** The id RUN resolves to, or null where it matches no run or several. */
function resolved(s: RunSet, ref: string): string | null {
  try {
    return s.runs.resolve(ref).id;
  } catch {
    return null;
  }
}

async function waitUntil(fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
