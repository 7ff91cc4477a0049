import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { energyParts } from '../../src/runs/energy.js';
import { loadConfig } from '../../src/config/load.js';
import { openDatabase } from '../../src/store/db.js';
import { SampleStore } from '../../src/store/samples.js';
import { runCli, showJson, startCli, testHome, waitFor, type TestHome } from '../helpers/cli.js';

const GPU0 = 'GPU-fa4e0000-0000-4000-8000-000000000000'; // the fake's default profile
const GPU1 = 'GPU-fa4e0001-0000-4000-8000-000000000001';
/** Calls fn with a GPU's energy over [a, b] from the stored samples, integrated as the daemon does (same gap rule). */
function withStoredEnergy(home: string, runId: string, fn: (energy: (uuid: string, a: number, b: number) => number) => void): void {
  const cfg = loadConfig({ env: { PROFILER_HOME: home } });
  const db = openDatabase(path.join(home, 'profiler.db'), { readonly: true });
  try {
    const samples = new SampleStore(db);
    const run = db.prepare('SELECT rid, sample_ms FROM runs WHERE id = ?').get(runId) as { rid: number; sample_ms: number };
    const opts = { gpuMaxGapMs: cfg.gapIntervals * run.sample_ms + 1, procMaxGapMs: 1, ramWattsPerGB: 0 };
    fn((uuid, a, b) => {
      const dev = db.prepare('SELECT id, uuid FROM devices WHERE uuid = ?').get(uuid) as { id: number; uuid: string };
      return energyParts(samples, run, [dev], [a, b], opts).gpu[0] ?? 0;
    });
  } finally {
    db.close();
  }
}

const uuids = (run: { devices: { uuid: string }[] }): string[] => run.devices.map((d) => d.uuid).sort();

describe('which GPUs a run is charged for', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome();
  });
  after(async () => h.cleanup());

  it('uses the command\'s CUDA_VISIBLE_DEVICES (an index in nvidia-smi order)', async () => {
    const r = await runCli(['run', '--quiet', '--', 'sleep', '0.5'], { env: { ...h.env, CUDA_VISIBLE_DEVICES: '1' } });
    assert.equal(r.code, 0, r.stderr);
    const run = await showJson(h.env);
    assert.equal(run.gpuSource, 'cuda_visible');
    assert.deepEqual(uuids(run), [GPU1]);
  });

  it('an empty CUDA_VISIBLE_DEVICES means no GPU, as for CUDA', async () => {
    await runCli(['run', '--quiet', '--', 'sleep', '0.3'], { env: { ...h.env, CUDA_VISIBLE_DEVICES: '' } });
    const run = await showJson(h.env);
    assert.deepEqual(run.devices, []);
    assert.equal(run.energy.gpuJ, 0);
  });

  it('uses --gpus (a UUID prefix) when CUDA_VISIBLE_DEVICES is unset', async () => {
    await runCli(['run', '--quiet', '--gpus', 'GPU-fa4e0000', '--', 'sleep', '0.3'], { env: h.env });
    const run = await showJson(h.env);
    assert.equal(run.gpuSource, 'flag');
    assert.deepEqual(uuids(run), [GPU0]);
  });

  it('else all GPUs, flagged as such, with an idle baseline from the samples just before the run', async () => {
    const r = await runCli(['run', '--', 'sleep', '0.3'], { env: h.env });
    assert.match(r.stderr, /all GPUs: no process of the run was seen on one/);
    const run = await showJson(h.env);
    assert.equal(run.gpuSource, 'all');
    assert.deepEqual(uuids(run), [GPU0, GPU1]);
    // The stream was still running from the previous run, so the seconds before this one are its baseline.
    assert.deepEqual(Object.keys(run.idleBaselineW).sort(), [GPU0, GPU1]);
    for (const w of Object.values(run.idleBaselineW)) assert.ok((w as number) > 0);
  });

  it('flags a GPU that two running runs share', async () => {
    const a = startCli(['run', '--quiet', '--name', 'a', '--gpus', '0', '--', 'sleep', '2'], { env: h.env });
    const b = startCli(['run', '--quiet', '--name', 'b', '--gpus', '0,1', '--', 'sleep', '2'], { env: h.env });
    await Promise.all([a.done, b.done]);
    const list = JSON.parse((await runCli(['runs', '--json', '--limit', '2'], { env: h.env })).stdout.toString());
    for (const run of list) {
      const g0 = run.devices.find((d: { uuid: string }) => d.uuid === GPU0);
      assert.equal(g0.shared, true, `run ${run.name}: ${JSON.stringify(run.devices)}`);
    }
    const b1 = list.find((r: { name: string }) => r.name === 'b').devices.find((d: { uuid: string }) => d.uuid === GPU1);
    assert.equal(b1.shared, false);
  });

  it('keeps the database private (mode 0600)', () => {
    assert.equal(statSync(path.join(h.home, 'profiler.db')).mode & 0o777, 0o600);
  });
});

describe('GPU attribution from nvidia-smi --query-compute-apps', () => {
  let h: TestHome;
  let apps = '';
  before(async () => {
    h = await testHome({ PROFILER_SAMPLE_MS: '100' });
    apps = path.join(h.home, 'apps.json');
    writeFileSync(apps, '[]');
    // A fast poll so the test is short; the daemon reads the fake's list afresh at every poll.
    writeFileSync(path.join(h.home, 'config.json'), JSON.stringify({ computeAppsPollMs: 200 }));
    h.env.FAKE_SMI_COMPUTE_APPS = `@${apps}`;
  });
  after(async () => h.cleanup());

  it('charges the run only for the GPU where a process of its tree appears, recomputing earlier epochs', async () => {
    // The command prints its pid, "trains" on GPU 1 (the fake lists it once the test writes the file) and, after
    // epoch 2 starts, waits for the test to see the attribution: the compute-apps poll backs off (up to 30 × 200 ms),
    // so on a loaded machine the run could otherwise end before the poll that would find it.
    const go = path.join(h.home, 'go');
    const code = [
      'import os,sys,time',
      'print(os.getpid(), flush=True)',
      'print("Epoch 1/3", flush=True); time.sleep(1.0)',
      'print("Epoch 2/3", flush=True)',
      'end = time.time() + 60',
      'while not os.path.exists(sys.argv[1]) and time.time() < end: time.sleep(0.05)',
      'time.sleep(0.5)',
      'print("Epoch 3/3", flush=True); time.sleep(1.0)',
    ].join('\n');
    const { child, done } = startCli(['run', '--', 'python3', '-c', code, go], { env: h.env });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const pid = Number(((await waitFor(() => /^(\d+)\n/.exec(out), 10_000, 'the pid')) as RegExpExecArray)[1]);
      await waitFor(() => out.includes('Epoch 2/3'), 10_000, 'epoch 2');
      writeFileSync(apps, JSON.stringify([{ pid, gpuUuid: GPU1, usedMiB: 1234 }]));
      await waitFor(async () => (await showJson(h.env)).gpuSource === 'compute_apps', 30_000, 'attribution from compute apps');
    } finally {
      writeFileSync(go, '');
    }
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    const run = await showJson(h.env);
    assert.equal(run.gpuSource, 'compute_apps');
    assert.deepEqual(uuids(run), [GPU1]);
    assert.equal(run.epochs.length, 3);
    // Compared interval by interval with the stored samples of each GPU, so the command's start-up and exit (outside
    // every epoch, and long on a loaded machine) cannot matter. "GPU 1 alone" and "both GPUs" differ by GPU 0's
    // energy over the interval; within a quarter of that distance leaves room for samples that came after the seal.
    withStoredEnergy(h.home, run.id, (stored) => {
      const check = (what: string, actual: number, a: number, b: number): void => {
        const [e0, e1] = [stored(GPU0, a, b), stored(GPU1, a, b)];
        assert.ok(e0 > 1, `${what}: GPU 0 drew power meanwhile (${e0} J), so the check can tell the GPUs apart`);
        assert.ok(Math.abs(actual - e1) < 0.25 * e0, `${what}: ${actual} J, GPU 1 alone ${e1} J, GPU 0 ${e0} J`);
      };
      check('the run', run.energy.gpuJ, Date.parse(run.startedAt), Date.parse(run.endedAt));
      // Epoch 1 ended before the GPU was known: it must have been recomputed for GPU 1 alone as well.
      for (const e of run.epochs) check(`epoch ${e.epoch}`, e.gpuJ, Date.parse(e.startedAt), Date.parse(e.endedAt));
    });
  });
});
