import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { exportParts } from '../../src/export/index.js';
import { writeParts } from '../../src/export/write.js';
import { importRun } from '../../src/import/importer.js';
import { openRunSet } from '../../src/runs/open.js';
import type { RunRow } from '../../src/store/runs.js';
import { runCli, showJson, testHome, type TestHome } from '../helpers/cli.js';
import { rng } from '../helpers/traces.js';

const HF = path.resolve('test/fixtures/train/hf_style.py');
const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** The export's files in the order `profiler import` takes them: GPU logs, then the epoch log (if any). */
function exported(dir: string): { gpu: string[]; epochs: string | null } {
  const names = readdirSync(dir).sort();
  const epochs = names.find((n) => n.startsWith('epoch_end-'));
  return { gpu: names.filter((n) => /^gpu\d*-power-/.test(n)).map((n) => path.join(dir, n)), epochs: epochs ? path.join(dir, epochs) : null };
}

describe('nvsmi export of a recorded run imports back with its GPU energy (within 0.1 %), per epoch too', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome({ PROFILER_SAMPLE_MS: '200' });
  });
  after(async () => h.cleanup());

  it('a short run (about 3 s, 2 fake GPUs at 200 ms): the edges the recorded energy interpolates come back', async () => {
    // The daemon's warm-up waits for a first GPU sample before the run starts, and its stream lingers after the end:
    // the recorded energy interpolates both edges between samples outside the run.
    const r = await runCli(['run', '--name', 'short', '--', 'python3', HF, '--epochs', '3', '--epoch-seconds', '0.8', '--no-banner'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const rec = await showJson(h.env);
    assert.equal(rec.epochs.length, 3);
    assert.equal(rec.devices.length, 2);
    const dir = path.join(h.home, 'nv') + '/';
    const ex = await runCli(['export', rec.id, '--format', 'nvsmi', '--out', dir], { env: h.env });
    assert.equal(ex.code, 0, ex.stderr);
    const files = exported(dir);
    assert.equal(files.gpu.length, 2);
    const im = await runCli(['import', ...files.gpu.flatMap((f) => ['--gpu-csv', f]), '--epochs-csv', files.epochs as string, '--json'], { env: h.env });
    assert.equal(im.code, 0, im.stderr);
    const back = await showJson(h.env, JSON.parse(im.stdout.toString()).id);
    const err = relErr(back.energy.gpuJ, rec.energy.gpuJ);
    process.stdout.write(`# short run: recorded ${rec.energy.gpuJ.toFixed(3)} J, imported ${back.energy.gpuJ.toFixed(3)} J (${(err * 100).toExponential(2)} %)\n`);
    assert.ok(err < 0.001, `GPU ${back.energy.gpuJ} J vs recorded ${rec.energy.gpuJ} J (${(err * 100).toFixed(3)} %)`);
    assert.equal(back.epochs.length, 3);
    rec.epochs.forEach((e: { epoch: number; gpuJ: number }, i: number) => {
      const b = back.epochs[i] as { gpuJ: number };
      assert.ok(relErr(b.gpuJ, e.gpuJ) < 0.001, `epoch ${e.epoch}: ${b.gpuJ} J vs recorded ${e.gpuJ} J`);
    });
  });
});

describe('nvsmi round trip of a long recorded run (an hour, 2 GPUs at 100 ms with jitter)', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'nvsmi-long-'));
  const set = openRunSet(loadConfig({ env: { PROFILER_HOME: tmp } }), { path: path.join(tmp, 'profiler.db') });
  after(() => {
    set.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const T0 = new Date(2026, 2, 3, 9, 0, 0, 0).getTime();
  const S = T0 + 5_037; // between two samples of each GPU
  const E = S + 3_600_000 + 61; // between samples too
  const uuids = ['GPU-aaaaaaaa-0000-4000-8000-000000000000', 'GPU-bbbbbbbb-0000-4000-8000-000000000001'];

  /** Samples from 5 s before to 5 s after the run; GPU 1's stream stops 2 s before the run ends (a gap at that edge). */
  function recorded(): RunRow {
    const run = set.runs.create({ name: 'long', command: ['python', 'train.py'], cwd: null, startedAt: S, expectedEpochs: 4, clientPid: null, sampleMs: 100, meta: {} });
    const rand = rng(7);
    uuids.forEach((uuid, g) => {
      const stop = g === 1 ? E - 2_000 : E + 5_000;
      for (let t = T0 + 3 * g; t < stop; t += 95 + Math.floor(rand() * 11)) {
        const x = (t - T0) / 1000;
        set.samples.addGpu([{
          t, uuid, index: g, powerW: Math.round((150 + 120 * Math.sin(x / 7) + 40 * rand() + g * 20) * 100) / 100, powerInstantW: null,
          powerLimitW: 350, utilGpuPct: Math.floor(rand() * 100), utilMemPct: 40, memUsedMiB: 20_000, memTotalMiB: 24_268, tempC: 60, smClockMHz: 1800,
        }]);
        if (set.samples.pending >= 4000) set.samples.flush();
      }
    });
    set.samples.flush();
    set.db.prepare("UPDATE devices SET name = 'NVIDIA GeForce RTX 3090', idx = id - 1, max_power_limit_w = 350, mem_total_mib = 24268").run();
    set.runs.setDevices(run.rid, uuids.map((u) => set.samples.deviceId(u)), 'all');
    const ends = [S + 900_000, S + 1_800_000 + 17, S + 2_700_000 + 33, E];
    let start = S;
    ends.forEach((end, k) => {
      set.epochs.close(run.rid, set.epochs.open(run.rid, start, k, 'keras').epoch, end);
      start = end;
    });
    set.runs.update(run.rid, { status: 'succeeded', exit_code: 0, ended_at: E });
    const ended = set.runs.byId(run.id) as RunRow;
    set.runs.update(run.rid, { energy: set.energy.compute(ended, E, { writeEpochs: true }).energy });
    return set.runs.byId(run.id) as RunRow;
  }

  it('imports back within 0.1 % in total and per epoch; no edge row is invented across a gap', async () => {
    const rec = recorded();
    const dir = path.join(tmp, 'nv') + '/';
    await writeParts(exportParts(set, rec, 'nvsmi'), { out: dir, force: false }, process.stdout);
    const files = exported(dir);
    const rows = files.gpu.map((f) => readFileSync(f, 'utf8').trim().split('\n').slice(1));
    assert.match(rows[0]?.[0] as string, /^2026-03-03 09:00:05\.037,NVIDIA GeForce RTX 3090,\d+ %,40 %,24268 MiB,20000 MiB,\d+\.\d\d W,350\.00 W,60$/, 'a row at the run start');
    assert.match(rows[0]?.at(-1) as string, /^2026-03-03 10:00:05\.098,/, 'and one at its end');
    assert.match(rows[1]?.[0] as string, /^2026-03-03 09:00:05\.037,/);
    assert.match(rows[1]?.at(-1) as string, /^2026-03-03 10:00:0[0-3]\.\d{3},/, 'GPU 1 ends with its last measured sample');
    const back = await importRun(set, { gpuCsv: files.gpu, epochsCsv: files.epochs });
    const run = set.runs.byId(back.id) as RunRow;
    assert.deepEqual([run.started_at, run.ended_at], [S, E]);
    const gpuJ = (rec.energy as { gpuJ: number }).gpuJ;
    const err = relErr(back.energy.gpuJ, gpuJ);
    process.stdout.write(`# long run: recorded ${gpuJ.toFixed(3)} J, imported ${back.energy.gpuJ.toFixed(3)} J (${(err * 100).toExponential(2)} %)\n`);
    // Only the edge rows' power is rounded (to 0.01 W, as every row is written): far inside the 0.1 % target.
    assert.ok(err < 1e-6, `GPU ${back.energy.gpuJ} J vs recorded ${gpuJ} J`);
    const a = set.epochs.list(rec.rid);
    const b = set.epochs.list(run.rid);
    assert.equal(b.length, 4);
    a.forEach((e, i) => assert.ok(relErr(b[i]?.gpu_j as number, e.gpu_j as number) < 1e-6, `epoch ${e.epoch}: ${b[i]?.gpu_j} vs ${e.gpu_j}`));
  });
});
