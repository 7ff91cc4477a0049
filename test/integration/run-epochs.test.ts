import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DEMO, runCli, showJson, testHome, type TestHome } from '../helpers/cli.js';

const TRAIN = path.resolve('test/fixtures/train');

describe('epoch boundaries from the training output, each style', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome();
  });
  after(async () => h.cleanup());

  const cases: { name: string; cmd: string[]; flags?: string[]; expected: number | null }[] = [
    { name: 'Keras', cmd: ['python3', DEMO, '--epochs', '3', '--epoch-seconds', '0.3'], expected: 3 },
    { name: 'PyTorch Lightning (tqdm, 0-based, \\r)', cmd: ['python3', path.join(TRAIN, 'lightning_style.py'), '--epochs', '3', '--epoch-seconds', '0.3'], expected: null },
    { name: 'Hugging Face Trainer', cmd: ['python3', path.join(TRAIN, 'hf_style.py'), '--epochs', '3', '--epoch-seconds', '0.3'], expected: 3 },
    {
      name: 'custom --epoch-pattern',
      cmd: ['python3', path.join(TRAIN, 'custom_style.py'), '--epochs', '3', '--epoch-seconds', '0.3'],
      flags: ['--epoch-pattern', String.raw`epoch=(?<epoch>\d+)/(?<total>\d+)`],
      expected: 3,
    },
  ];
  it('profiler show draws each epoch\'s energy as a bar, the largest one full width', async () => {
    const r = await runCli(['run', '--quiet', '--', 'python3', DEMO, '--epochs', '3', '--epoch-seconds', '0.3'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const text = (await runCli(['show', 'last'], { env: h.env })).stdout.toString();
    const rows = text.split('\n').filter((l) => /^[123] +\d/.test(l));
    assert.equal(rows.length, 3, text);
    assert.ok(rows.some((l) => l.trimEnd().endsWith('█'.repeat(20))), text);
    assert.ok(rows.every((l) => /█[▏▎▍▌▋▊▉]?\s*$/.test(l)), text);
  });

  for (const c of cases) {
    it(`recognizes ${c.name}`, async () => {
      const r = await runCli(['run', ...(c.flags ?? []), '--', ...c.cmd], { env: h.env });
      assert.equal(r.code, 0, r.stderr);
      const run = await showJson(h.env);
      assert.equal(run.epochs.length, 3, `${c.name}: ${JSON.stringify(run.epochs)}`);
      assert.deepEqual(run.epochs.map((e: { epoch: number }) => e.epoch), [1, 2, 3]);
      if (c.expected !== null) assert.equal(run.expectedEpochs, c.expected);
      for (const e of run.epochs) {
        assert.ok(e.durationS > 0.15 && e.durationS < 2, `${c.name} epoch ${e.epoch} lasted ${e.durationS} s`);
        assert.ok(e.gpuJ > 0);
      }
      const ends = run.epochs.map((e: { endedAt: string }) => Date.parse(e.endedAt));
      assert.ok(ends.at(-1) <= Date.parse(run.endedAt));
    });
  }
});
