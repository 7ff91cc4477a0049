import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobMeter } from '../../../src/runs/job-meter.js';
import type { RunRow } from '../../../src/store/runs.js';

/** One GPU (device 1) at a constant 100 W, a sample every 100 ms; the job's runs and their last process samples. */
function fixture() {
  const rows: RunRow[] = [];
  const lastProc = new Map<number, number | null>();
  const cfg = { sampleMs: 100, processSampleMs: 1000, flushMs: 500, gapIntervals: 3 };
  const runs = {
    list: () => rows,
    devices: () => [{ id: 1 }],
    lastProcSample: (rid: number) => lastProc.get(rid) ?? null,
  };
  const samples = {
    eachGpuPower(_dev: number, from: number, to: number, sink: (t: number, w: number) => void): void {
      for (let t = Math.floor(from / 100) * 100; t <= to + 100; t += 100) sink(t, 100);
    },
  };
  const metered = { run: () => ({ until: 0, gpuJ: 0, ramJ: 0, cpuJ: null }) };
  const meter = new JobMeter({ cfg, runs, samples } as never, metered as never);
  const read = (now: number): number => meter.read(['j'], now)[0]?.energyJ ?? Number.NaN;
  return { rows, lastProc, read };
}

const run = (over: Partial<RunRow>): RunRow =>
  ({ rid: 1, status: 'running', started_at: 0, ended_at: null, sample_ms: 100, energy: null, analysis: null, ...over }) as RunRow;

test('a run whose end is reported late: the job counter never counts past its last sign of life, never goes back', () => {
  const f = fixture();
  f.rows.push(run({}));
  f.lastProc.set(1, 8_000);
  assert.ok(Math.abs(f.read(10_000) - 750) < 1e-6, 'settled: 10 s - 2.5 s, at 100 W');
  // The command died at 12.5 s (last process sample at 12 s); its client reports that only much later.
  f.lastProc.set(1, 12_000);
  assert.ok(Math.abs(f.read(20_000) - 1200) < 1e-6, 'not the 1,750 J up to the settled time');
  // Ended, not yet sealed (its last samples may still come): still read as live.
  f.rows[0] = run({ status: 'succeeded', ended_at: 12_500 });
  assert.ok(Math.abs(f.read(21_000) - 1200) < 1e-6);
  f.rows[0] = run({ status: 'succeeded', ended_at: 12_500,
    energy: { totalJ: 1250, gpuJ: 1250, ramJ: 0, cpuJ: null, gpuCoverage: 1, gaps: [] } });
  assert.ok(Math.abs(f.read(22_000) - 1250) < 1e-6, 'sealed: the whole run, integrated again');
  assert.ok(Math.abs(f.read(900_000) - 1250) < 1e-6, 'and constant after');
});

test('a second run on the same GPU adds only its time outside the first', () => {
  const f = fixture();
  const sealed = (j: number) => ({ totalJ: j, gpuJ: j, ramJ: 0, cpuJ: null, gpuCoverage: 1, gaps: [] });
  f.rows.push(run({ status: 'succeeded', ended_at: 10_000, energy: sealed(1000) }));
  assert.ok(Math.abs(f.read(11_000) - 1000) < 1e-6);
  f.rows.push(run({ rid: 2, status: 'succeeded', started_at: 5_000, ended_at: 15_000, energy: sealed(1000) }));
  assert.ok(Math.abs(f.read(16_000) - 1500) < 1e-6, '0-15 s once, not 2,000 J');
});
