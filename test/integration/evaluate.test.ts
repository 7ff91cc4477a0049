import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';

const TRACES = path.resolve('test/fixtures/traces');
const GPU = path.join(TRACES, 'local-v2-mobilenet_v2-gpu-power-20230121T122112.csv'); // 12:21:12 → 12:34:09, 40 epochs
const MEM = path.join(TRACES, 'local-v2-mobilenet_v2-cpu-mem-usage-20230121T122112.csv');

/** The study's `epoch,end_time` layout: 40 equal epochs over the trace (the traces ship without their epoch files). */
function epochsCsv(dir: string): string {
  const start = new Date(2023, 0, 21, 12, 21, 12, 418).getTime();
  const end = new Date(2023, 0, 21, 12, 34, 9, 292).getTime();
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const lines = ['epoch,end_time'];
  for (let e = 0; e < 40; e++) {
    const d = new Date(start + ((e + 1) * (end - start)) / 40);
    lines.push(`${e},${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}000`);
  }
  const p = path.join(dir, 'epoch_end.csv');
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

describe('profiler evaluate', () => {
  let home = '';
  let env: NodeJS.ProcessEnv = {};
  before(() => {
    home = mkdtempSync(path.join(tmpdir(), 'evaluate-'));
    env = { ...process.env, PROFILER_HOME: home };
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('scores the estimators at the window end on runs with epochs, and the time-window form on runs without', async () => {
    const a = await runCli(['import', '--gpu-csv', GPU, '--mem-csv', MEM, '--epochs-csv', epochsCsv(home), '--json'], { env });
    assert.equal(a.code, 0, a.stderr);
    const b = await runCli(['import', '--gpu-csv', GPU, '--mem-csv', MEM, '--json'], { env });
    assert.equal(b.code, 0, b.stderr);
    const show = JSON.parse((await runCli(['show', JSON.parse(a.stdout.toString()).id, '--json'], { env })).stdout.toString());
    assert.equal(show.epochs.length, 40);
    assert.ok(show.stabilization && typeof show.stabilization.epoch === 'number', JSON.stringify(show.stabilization));
    assert.equal(show.projection.provisional, false);

    const r = await runCli(['evaluate', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const ev = JSON.parse(r.stdout.toString());
    const by = new Map<string, { n: number; mapePct: number }>(ev.withEpochs.map((row: { method: string }) => [row.method, row]));
    for (const m of ['power-based', 'epoch-energy', 'mlco2', 'green-algorithms']) assert.equal(by.get(m)?.n, 1, m);
    // On a real trace the online estimators are far closer to the measured energy than the TDP baselines.
    assert.ok((by.get('epoch-energy') as { mapePct: number }).mapePct < 5);
    assert.ok((by.get('mlco2') as { mapePct: number }).mapePct > 20);
    assert.equal(ev.withoutEpochs.runs.length, 1);
    assert.equal(ev.withoutEpochs.summary.powerWindow.n, 1);
    assert.ok(ev.withoutEpochs.summary.powerWindow.mapePct < ev.withoutEpochs.summary.mlco2.mapePct);
    const text = await runCli(['evaluate'], { env });
    assert.match(text.stdout.toString(), /online epoch-energy/);
    assert.match(text.stdout.toString(), /RMSE \(kJ\)/);
    assert.equal((await runCli(['evaluate', '--window-s', 'soon'], { env })).code, 2);
  });
});
