import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { GridCell, WindowGrid } from '../../src/analysis/evaluate-grid.js';
import { runCli } from '../helpers/cli.js';

const run = promisify(execFile);


const cellAt = (g: WindowGrid, method: GridCell['method'], w: number, o: number): GridCell =>
  g.cells.find((c) => c.method === method && c.windowEpochs === w && c.offset === o) as GridCell;

describe('profiler evaluate --grid on the shared traces', () => {
  let home = '';
  let env: NodeJS.ProcessEnv = {};
  let first = '';
  // docs/evaluation.md's recipe imports the eight traces with equal-slice epochs (kept here for the other calls).
  before(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'evaluate-grid-'));
    env = { ...process.env, PROFILER_HOME: home };
    first = (await run('bash', ['scripts/evaluate-traces.sh', '--grid', '--json'], { env: { ...process.env, TRACES_HOME: home }, maxBuffer: 16 << 20 })).stdout;
  });
  after(() => rmSync(home, { recursive: true, force: true }));
  const onTraces = async (args: string[]): Promise<string> => (await runCli(['evaluate', ...args], { env })).stdout.toString();

  it('gives every window size 1-10 and start offset 0-10 for both online estimators, consistent with the w = 5 row', async () => {
    const ev = JSON.parse(first);
    const g = ev.grid as WindowGrid;
    assert.deepEqual(g.windows, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(g.offsets, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(g.startEpoch, null);
    assert.equal(g.runs.length, 8);
    assert.ok(g.runs.some((r) => r.name === 'cloud-mobilenet_v2-20221205T150015'), JSON.stringify(g.runs));
    assert.deepEqual(g.runs.map((r) => r.epochs).sort((a, b) => a - b), [40, 40, 56, 58, 67, 73, 88, 110]);
    assert.equal(g.cells.length, 2 * 10 * 11);
    // Every trace has ≥ 40 epochs and stabilizes by epoch 10: every cell scores all eight.
    for (const c of g.cells) {
      assert.equal(c.n, 8, `${c.method} w ${c.windowEpochs} +${c.offset}`);
      const errs = c.errorsPct as number[];
      assert.ok(Math.abs(errs.reduce((a, e) => a + e, 0) / 8 - (c.biasPct as number)) < 1e-9);
      assert.ok(Math.abs(errs.reduce((a, e) => a + Math.abs(e), 0) / 8 - (c.mapePct as number)) < 1e-9);
    }
    // The grid's (w 5, +0) cell is the projection the main table scores at the configured 5-epoch window.
    for (const row of ev.withEpochs.filter((r: { method: string }) => r.method === 'power-based' || r.method === 'epoch-energy')) {
      const c = cellAt(g, row.method, ev.windowEpochs, 0);
      for (const k of ['rmseKJ', 'maeKJ', 'mapePct'] as const) assert.ok(Math.abs((c[k] as number) - row[k]) < 1e-9, `${row.method} ${k}`);
    }
    // After the stabilizing epoch both online estimators stay within a few % on real traces (3.3 % / 1.8 % at most today).
    for (const c of g.cells) assert.ok((c.mapePct as number) < (c.method === 'power-based' ? 5 : 3), `${c.method} w ${c.windowEpochs} +${c.offset}: ${c.mapePct}`);
    // The study's form prices the warm-up at stable power: on these traces it errs more than epoch-energy overall.
    const mean = (m: string): number => g.cells.filter((c) => c.method === m).reduce((a, c) => a + (c.mapePct as number), 0) / 110;
    assert.ok(mean('power-based') > mean('epoch-energy'), `${mean('power-based')} vs ${mean('epoch-energy')}`);
  });

  it('from epoch 0 (no warm-up left out) the first epochs mislead; starts after epoch 10 do not', async () => {
    const g = JSON.parse(await onTraces(['--grid', '--json', '--start-epoch', '0', '--max-offset', '15'])).grid as WindowGrid;
    assert.equal(g.startEpoch, 0);
    assert.ok(g.runs.every((r) => r.startEpoch === 0));
    // A one-epoch window at epoch 1 of equal slices: P̄ × t and E_w × s are the same number.
    const [pb, ee] = [cellAt(g, 'power-based', 1, 0), cellAt(g, 'epoch-energy', 1, 0)];
    assert.ok(Math.abs((pb.rmseKJ as number) - (ee.rmseKJ as number)) < 1e-6 * (ee.rmseKJ as number));
    assert.ok((ee.mapePct as number) > 10, `epoch 1 alone: ${ee.mapePct} %`);
    for (const m of ['power-based', 'epoch-energy'] as const) {
      for (const w of [1, 5, 10]) {
        const late = [10, 11, 12, 13, 14, 15].map((o) => cellAt(g, m, w, o).mapePct as number);
        assert.ok(Math.max(...late) < (cellAt(g, m, w, 0).mapePct as number), `${m} w ${w}: ${late} vs from epoch 1`);
        assert.ok(Math.max(...late) < 3.5, `${m} w ${w} from epoch ≥ 11: ${late}`);
      }
    }
  });

  it('prints the matrices as text, and bad option values fail clearly', async () => {
    const text = await onTraces(['--grid', '--max-window', '3', '--max-offset', '2']);
    assert.match(text, /online epoch-energy/);
    assert.match(text, /RQ4 grid \(8 runs\)/);
    const block = text.split('\n\n').find((b) => b.startsWith('online power-based, MAPE (%)')) as string;
    const lines = block.split('\n');
    assert.equal(lines.length, 2 + 3);
    assert.match(lines[1] as string, /^w \\ start\s+\+0\s+\+1\s+\+2$/);
    for (const l of lines.slice(2)) assert.match(l, /^\s+\d+(\s+\d+\.\d\d){3}$/);
    assert.match(text, /every cell scores 8 runs/);
    const cases: Array<[string[], RegExp]> = [
      [['--grid', '--max-window', '0'], /--max-window must be an integer 1-100, got "0" \[PROF_ERR_INVALID\]/],
      [['--grid', '--max-offset', 'many'], /--max-offset must be an integer 0-100, got "many"/],
      [['--grid', '--start-epoch=-1'], /--start-epoch must be an integer 0-100000, got "-1"/],
      [['--max-window', '3'], /--max-window is an option of --grid.*\[PROF_ERR_USAGE\]/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['evaluate', ...args], { env });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
  });
});
