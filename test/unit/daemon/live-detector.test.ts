import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { detectStabilization, type Stabilization } from '../../../src/analysis/stabilization.js';
import { StabilizationWorker } from '../../../src/analysis/stabilization-worker.js';
import { loadConfig } from '../../../src/config/load.js';
import { createDaemon } from '../../../src/daemon/create-daemon.js';
import { AnalysisService } from '../../../src/runs/analysis.js';
import type { GpuSample } from '../../../src/samplers/types.js';
import { rng } from '../../helpers/traces.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

const UUID = 'GPU-00000000-0000-0000-0000-000000000002';
const EPOCH_MS = 12_000;
const EPOCHS = 12;
const STEP = 200;

/** 12 epochs of 12 s at 200 ms: a 4-epoch noisy warm-up, then a plateau with a validation dip at each epoch end. */
function power(i: number, rand: () => number): number {
  const s = (i * STEP) / 1000;
  const inEpoch = s % (EPOCH_MS / 1000);
  if (s < 4 * (EPOCH_MS / 1000)) return 70 + 4 * s + 12 * rand();
  return 260 + 6 * Math.sin(i / 3) + 4 * rand() - (inEpoch > 10.5 ? 90 : 0);
}

const verdict = (s: Stabilization | null | undefined) => (s ? [s.method, s.epoch, s.confident, s.cacMin] : null);

for (const crash of [false, true]) {
  test(`daemon: a live run's detector is fed as it runs and gives the one-go verdict${crash ? ' (its worker lost mid-run)' : ''}`, async () => {
    const home = mkdtempSync(join(tmpdir(), 'live-det-'));
    const time = new FakeScheduler();
    const worker = new StabilizationWorker();
    const config = loadConfig({ env: { PROFILER_HOME: home }, overrides: { sampleMs: STEP } });
    const d = createDaemon({ config, logger: pino({ level: 'silent' }), clock: time, scheduler: time, samplers: [], detector: worker,
      inventory: async () => ({ devices: [{ uuid: UUID, index: 0, name: 'fake', powerLimitW: 300, maxPowerLimitW: 300,
        memTotalMiB: 80_000, driverVersion: null, cudaVersion: null, migUuids: [] }], warnings: [] }) });
    try {
      await d.ready;
      const t0 = time.now();
      const run = d.recorder.start({ name: null, command: ['train'], cwd: null, pid: null, startedAt: t0, expectedEpochs: EPOCHS,
        cudaVisibleDevices: null, gpus: '0', meta: {} });
      const rand = rng(5);
      const samples: GpuSample[] = [];
      for (let i = 0; i * STEP <= EPOCHS * EPOCH_MS + 2000; i++) {
        samples.push({ t: t0 + i * STEP, uuid: UUID, index: 0, powerW: power(i, rand), powerInstantW: null, powerLimitW: 300,
          utilGpuPct: 90, utilMemPct: 10, memUsedMiB: 1000, memTotalMiB: 80_000, tempC: 50, smClockMHz: 1500 });
      }
      d.set.samples.addGpu(samples);
      d.set.samples.flush();
      await time.advance(1);
      assert.equal(d.runs.devices(d.runs.byId(run.id)!.rid).length, 1, 'the run has its GPU');
      // Between epoch ends the daemon hands settled samples to the worker every few seconds.
      await time.advance(EPOCH_MS - 2000);
      const mid = await worker.stats();
      assert.equal(mid.length, 1);
      assert.ok(mid[0]!.samples >= 10 && mid[0]!.samples < EPOCH_MS / STEP, `${mid[0]!.samples} samples fed before epoch 1 ends`);
      for (let e = 1; e <= EPOCHS; e++) {
        await time.advance(t0 + e * EPOCH_MS - time.now());
        d.recorder.mark(d.runs.byId(run.id)!, { event: 'end', epoch: e, at: time.now(), total: EPOCHS, source: 'test' });
        if (crash && e === 6) await worker.close();
        await time.advance(3000);
        // A barrier: the worker answers in order, so every feed and detection posted so far has been answered.
        await worker.stats();
        await new Promise((r) => setImmediate(r));
        if (e === 8) assert.ok((await worker.stats())[0]!.samples > 7 * (EPOCH_MS / STEP), 'fed through epoch 8 (again from the start after a lost worker)');
      }
      const finishing = d.recorder.finish(d.runs.byId(run.id)!, { exitCode: 0, signal: null, endedAt: t0 + EPOCHS * EPOCH_MS + 500 });
      await time.advance(2000);
      const done = await finishing;
      const live = done.analysis?.stabilization;
      assert.equal(live?.method, 'fluss', live?.reason);
      // The same run analysed in one go, in this thread, from the store.
      const once = new AnalysisService(config, d.set, pino({ level: 'silent' }), () => {}, async (i) => detectStabilization(i), time);
      const batch = await once.analyze({ ...done, analysis: null });
      assert.deepEqual(verdict(live), verdict(batch.stabilization), `${live?.reason} | ${batch.stabilization?.reason}`);
      assert.deepEqual(done.analysis?.projection, batch.projection);
      assert.deepEqual(await worker.stats(), [], 'the ended run\'s state is dropped');
    } finally {
      await d.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
}
