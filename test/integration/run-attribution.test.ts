import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, showJson, startCli, testHome, waitFor, type TestHome } from '../helpers/cli.js';

const GPU0 = 'GPU-fa4e0000-0000-4000-8000-000000000000'; // the fake's default profile
const GPU1 = 'GPU-fa4e0001-0000-4000-8000-000000000001';
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
    // The command prints its pid, then keeps "training" on GPU 1 (the fake lists it once the test writes the file).
    const { child, done } = startCli(
      ['run', '--', 'python3', '-c', 'import os,sys,time\nprint(os.getpid(), flush=True)\nfor e in range(1,4):\n  print(f"Epoch {e}/3", flush=True)\n  time.sleep(1.0)'],
      { env: h.env },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const pid = Number(((await waitFor(() => /^(\d+)\n/.exec(out), 10_000, 'the pid')) as RegExpExecArray)[1]);
    await waitFor(() => out.includes('Epoch 2/3'), 10_000, 'epoch 2');
    writeFileSync(apps, JSON.stringify([{ pid, gpuUuid: GPU1, usedMiB: 1234 }]));
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    const run = await showJson(h.env);
    assert.equal(run.gpuSource, 'compute_apps');
    assert.deepEqual(uuids(run), [GPU1]);
    // Epoch 1 ended before the GPU was known: its energy was recomputed for GPU 1 alone (the fake's GPU 1 draws
    // less than both GPUs together, so an unrecomputed epoch would show up as a jump).
    const perSecond = run.epochs.map((e: { gpuJ: number; durationS: number }) => e.gpuJ / e.durationS);
    assert.ok(perSecond[0] < 1.5 * perSecond[2], `epoch GPU power ${perSecond.join(', ')}`);
    assert.ok(Math.abs(run.energy.gpuJ - run.epochs.reduce((a: number, e: { gpuJ: number }) => a + e.gpuJ, 0)) < 0.2 * run.energy.gpuJ);
  });
});
