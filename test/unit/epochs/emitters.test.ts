import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { once } from 'node:events';
import { execCapture, spawnProcess } from '../../../src/platform/exec.js';
import { createEpochContext, createEpochDetector } from '../../../src/epochs/index.js';
import { brief, feedAll } from './feed-helpers.js';

const PY = 'python3';
const TRAIN = path.resolve('test/fixtures/train');
const hasPython = (await execCapture(PY, ['--version'], { timeoutMs: 5000 })).code === 0;
const skip = hasPython ? false : 'python3 not available';

/** Runs an emitter fast and passes its two streams through detectors that share a context, stderr first. */
async function detect(script: string, args: string[], pattern?: string): Promise<{ code: number | null; events: string[] }> {
  const r = await execCapture(PY, [script, '--epoch-seconds', '0', ...args], { timeoutMs: 20_000 });
  const context = createEpochContext();
  const fromErr = feedAll(createEpochDetector({ pattern, context }), r.stderr);
  const fromOut = feedAll(createEpochDetector({ pattern, context }), r.stdout);
  return { code: r.code, events: brief([...fromErr, ...fromOut]) };
}

test('demo-train.py prints Keras epochs and exits with --exit-code', { skip }, async () => {
  const r = await detect(path.resolve('scripts/demo-train.py'), ['--epochs', '4', '--exit-code', '3']);
  assert.equal(r.code, 3);
  assert.deepEqual(r.events, ['start 1/4 keras', 'start 2/4 keras', 'start 3/4 keras', 'start 4/4 keras']);
});

test('lightning_style.py (tqdm and --rich) prints 0-based Lightning epochs', { skip }, async () => {
  const tqdm = await detect(path.join(TRAIN, 'lightning_style.py'), ['--epochs', '3', '--steps', '3']);
  assert.equal(tqdm.code, 0);
  assert.deepEqual(tqdm.events, ['start 1/? lightning', 'start 2/? lightning', 'start 3/? lightning']);
  const rich = await detect(path.join(TRAIN, 'lightning_style.py'), ['--epochs', '2', '--steps', '2', '--rich']);
  assert.deepEqual(rich.events, ['start 1/2 lightning', 'start 2/2 lightning']);
});

test('hf_style.py ends each epoch once in every log format, total from the stderr banner', { skip }, async () => {
  for (const format of ['repr', 'quoted', 'json']) {
    const r = await detect(path.join(TRAIN, 'hf_style.py'), ['--epochs', '3', '--steps', '4', '--log-format', format]);
    assert.deepEqual(r.events, ['end 1/3 huggingface', 'end 2/3 huggingface', 'end 3/3 huggingface'], format);
  }
});

test('custom_style.py needs the pattern; with it each epoch starts once', { skip }, async () => {
  const script = path.join(TRAIN, 'custom_style.py');
  assert.deepEqual((await detect(script, ['--epochs', '2'])).events, []);
  const r = await detect(script, ['--epochs', '2', '--steps', '4'], String.raw`epoch=(?<epoch>\d+)/(?<total>\d+)`);
  assert.deepEqual(r.events, ['start 1/2 pattern', 'start 2/2 pattern']);
});

test('an emitter stopped by SIGTERM exits 143 after its first epoch marker', { skip }, async () => {
  const child = spawnProcess(PY, [path.resolve('scripts/demo-train.py'), '--epochs', '50', '--epoch-seconds', '5'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = once(child, 'close');
  // Keep reading (a destroyed pipe would kill it with SIGPIPE instead) until the first marker shows up.
  await new Promise<void>((resolve) => {
    let seen = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      seen += d;
      if (seen.includes('Epoch 1/50')) resolve();
    });
  });
  child.kill('SIGTERM');
  const [code] = (await closed) as [number | null];
  assert.equal(code, 143);
});
