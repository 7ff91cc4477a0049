import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../helpers/cli.js';
import { startDaemon } from './api-daemon.js';

const SCRIPTS = resolve('scripts');

// Exercises every entry point; frameworks are absent (duck typing) except a stand-in `transformers` package.
const TRAIN = `
import json, sys, types
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import profiler_client as pc
out = {"frameworks_imported": [m for m in ("keras", "tensorflow", "torch", "lightning", "pytorch_lightning", "transformers") if m in sys.modules]}
out["start1"] = pc.mark_epoch_start(1, total=4)
out["end1"] = pc.mark_epoch_end(1)
k = pc.ProfilerKerasCallback()
k.set_params({"epochs": 4})
k.on_train_begin()
k.on_epoch_begin(1, {})
k.on_train_batch_end(3, {})
k.on_epoch_end(1, {"loss": 0.5})
l = pc.ProfilerLightningCallback()
l.on_train_epoch_start(types.SimpleNamespace(current_epoch=2, max_epochs=4, is_global_zero=True), None)
l.on_train_epoch_end(types.SimpleNamespace(current_epoch=2, max_epochs=4, is_global_zero=True), None)
h = pc.ProfilerHFCallback()
import transformers
out["hf_is_trainer_callback"] = isinstance(h, transformers.TrainerCallback)
args = types.SimpleNamespace(num_train_epochs=4, max_steps=-1)
h.on_epoch_begin(args, types.SimpleNamespace(epoch=3.0, is_world_process_zero=False), None)
h.on_epoch_begin(args, types.SimpleNamespace(epoch=3.0, is_world_process_zero=True), None)
h.on_epoch_end(args, types.SimpleNamespace(epoch=4.0, is_world_process_zero=True), None)
h.on_step_end(args, None, None)
out["junk"] = [pc.mark_epoch_start("abc"), pc.mark_epoch_end(epoch=object(), total=-5)]
print(json.dumps(out))
`;

function py(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile('python3', ['-c', script, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) =>
      res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('scripts/profiler_client.py against a real daemon', () => {
  const fake = mkdtempSync(join(tmpdir(), 'profiler-py-'));
  mkdirSync(join(fake, 'transformers'));
  writeFileSync(join(fake, 'transformers', '__init__.py'), 'class TrainerCallback(object):\n    pass\n');
  const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

  it('marks from the functions and the Keras, Lightning and HF callbacks land in the run; junk is ignored', async () => {
    const t = await startDaemon();
    try {
      const run = (await t.daemon.app.inject({ method: 'POST', url: '/v1/runs', payload: { command: ['python3'] } })).json();
      const r = await py(TRAIN, [SCRIPTS, fake], { ...baseEnv, PROFILER_URL: t.url, PROFILER_RUN_ID: run.id });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out.frameworks_imported, [], 'no framework imported by the module itself');
      assert.deepEqual(out.start1, { epoch: 1 });
      assert.equal(out.hf_is_trainer_callback, true, 'lazily subclasses the real TrainerCallback');
      const epochs = (await t.daemon.app.inject({ method: 'GET', url: `/v1/runs/${run.id}/epochs` })).json();
      assert.deepEqual(epochs.map((e: any) => [e.epoch, e.printed, e.endedAt !== null]),
        [[1, 1, true], [2, 2, true], [3, 3, true], [4, 4, true], [5, null, true]]);
      assert.equal(t.daemon.runs.byId(run.id)?.expected_epochs, 4);
    } finally {
      await t.close();
    }
  });

  it('does nothing without PROFILER_URL and never raises when the daemon is unreachable', async () => {
    for (const env of [{}, { PROFILER_URL: `http://127.0.0.1:${await freePort()}`, PROFILER_RUN_ID: 'abcdef1234' }]) {
      const r = await py(TRAIN, [SCRIPTS, fake], { ...baseEnv, ...env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).start1, null);
    }
  });

  it('sends PROFILER_TOKEN as a bearer token', async () => {
    const t = await startDaemon({ PROFILER_TOKEN: 'py-secret-token' });
    try {
      const run = (await t.daemon.app.inject({ method: 'POST', url: '/v1/runs', payload: { command: ['python3'] },
        headers: { authorization: 'Bearer py-secret-token' } })).json();
      const env = { ...baseEnv, PROFILER_URL: t.url, PROFILER_RUN_ID: run.id };
      const denied = await py(TRAIN, [SCRIPTS, fake], env);
      assert.equal(JSON.parse(denied.stdout).start1, null, 'a 401 is swallowed');
      assert.equal(t.daemon.epochs.list(t.daemon.runs.byId(run.id)?.rid ?? -1).length, 0);
      const ok = await py(TRAIN, [SCRIPTS, fake], { ...env, PROFILER_TOKEN: 'py-secret-token' });
      assert.deepEqual(JSON.parse(ok.stdout).start1, { epoch: 1 });
    } finally {
      await t.close();
      rmSync(fake, { recursive: true, force: true });
    }
  });
});
