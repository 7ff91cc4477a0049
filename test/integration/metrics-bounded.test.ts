import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { createDaemon, type Daemon } from '../../src/daemon/create-daemon.js';
import { FAKE_SMI } from '../helpers/cli.js';
import { FakeScheduler } from '../helpers/fake-clock.js';

const GRACE_S = 120;
const RUNS = 1000;
const JOBS = 10;

describe('/metrics stays bounded: finished runs and jobs leave after the grace period (injected clock)', () => {
  let d: Daemon;
  let home = '';
  const clock = new FakeScheduler(Date.UTC(2026, 0, 1));
  const metrics = async (): Promise<string> => (await d.app.inject({ method: 'GET', url: '/metrics' })).body;
  const lines = (text: string): number => text.trimEnd().split('\n').length;
  const finish = (rid: number, at: number, gpuJ: number): void =>
    d.runs.update(rid, { status: 'succeeded', exit_code: 0, ended_at: at,
      energy: { totalJ: gpuJ + 1, gpuJ, ramJ: 1, cpuJ: null, gpuCoverage: 1, gaps: [] } });

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'profiler-metrics-'));
    const config = loadConfig({ env: { PROFILER_HOME: home, PROFILER_NVIDIA_SMI: FAKE_SMI, PROFILER_METRICS_GRACE_S: String(GRACE_S),
      PROFILER_NODE_NAME: 'node-7' } });
    d = createDaemon({ config, logger: pino({ level: 'silent' }), clock });
    await d.ready;
  });
  after(async () => {
    await d.close();
    rmSync(home, { recursive: true, force: true });
  });

  it(`${RUNS} finished runs in ${JOBS} jobs: present within ${GRACE_S} s of their end, gone after; a running run stays`, async () => {
    const before = await metrics();
    const base = lines(before);
    assert.doesNotMatch(before, /^profiler_(run|job)_\w+\{/m);
    const t0 = clock.now();
    for (let i = 0; i < RUNS; i++) {
      const job = { id: `job-${i % JOBS}`, source: 'flag' as const, host: 'node-7', rank: Math.floor(i / JOBS), step: null };
      const r = d.runs.create({ name: null, command: ['x'], cwd: null, startedAt: t0 + i, expectedEpochs: null, clientPid: null,
        sampleMs: 100, meta: {}, job, host: 'node-7' });
      finish(r.rid, t0 + 10_000 + i, 10);
    }
    await clock.advance(30_000);
    const full = await metrics();
    const runSeries = full.match(/^profiler_run_energy_joules_total\{/gm)?.length ?? 0;
    assert.equal(runSeries, 2 * RUNS, 'gpu and ram of every run ended within the grace period');
    const jobLines = full.match(/^profiler_job_energy_joules_total\{job_id="job-\d",host="node-7"\} \S+$/gm) ?? [];
    assert.equal(jobLines.length, JOBS);
    // No samples were stored: a job's energy is its runs' RAM energy, 1 J each (its GPU part is integrated from samples).
    assert.match(full, /^profiler_job_energy_joules_total\{job_id="job-3",host="node-7"\} 100$/m);
    // A finished job projects its own (measured) energy, by both methods.
    for (const m of ['epoch_energy', 'power_based']) {
      assert.match(full, new RegExp(`^profiler_job_projected_energy_joules\\{job_id="job-3",host="node-7",method="${m}"\\} 100$`, 'm'));
    }

    const live = d.runs.create({ name: null, command: ['y'], cwd: null, startedAt: clock.now(), expectedEpochs: null, clientPid: null,
      sampleMs: 100, meta: {}, job: { id: 'job-live', source: 'slurm', host: 'node-7', rank: 0, step: '0' }, host: 'node-7' });
    await clock.advance((GRACE_S + 1) * 1000 - 30_000 + 10_000 + RUNS);
    const after = await metrics();
    const liveLines = after.split('\n').filter((l) => /^profiler_(run|job)_\w+\{/.test(l));
    assert.ok(liveLines.every((l) => l.includes(live.id) || l.includes('job-live')), liveLines.join('\n'));
    assert.match(after, new RegExp(`^profiler_run_energy_joules_total\\{run_id="${live.id}",component="gpu"\\} `, 'm'));
    assert.match(after, /^profiler_job_energy_joules_total\{job_id="job-live",host="node-7"\} /m);

    finish(live.rid, clock.now(), 0);
    await clock.advance((GRACE_S + 1) * 1000);
    const end = await metrics();
    assert.doesNotMatch(end, /^profiler_(run|job)_\w+\{/m);
    assert.equal(lines(end), base, 'back to the size with no runs');
    process.stdout.write(`# /metrics lines: ${base} before, ${lines(full)} with ${RUNS} runs just finished, ${lines(end)} after the grace period\n`);
  });
});
