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
const STEP = 50;

/** 12 epochs of 12 s at 50 ms (2,880 ticks: past 2,000 the live state takes over from the in-thread analysis): a 4-epoch noisy warm-up, then a plateau with a validation dip at each epoch end. */
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
      let fedAt9 = 0;
      for (let e = 1; e <= EPOCHS; e++) {
        await time.advance(t0 + e * EPOCH_MS - time.now());
        if (e === 10) {
          // Between epoch ends the daemon hands settled samples to the worker every few seconds.
          // After a lost worker (at epoch 9) the run's series is fed again from its start.
          const [mid] = await worker.stats();
          assert.ok(mid && mid.samples > Math.max(fedAt9, 9 * (EPOCH_MS / STEP) - 1), `${mid?.samples} samples fed before epoch 10 ends, ${fedAt9} at epoch 9`);
        }
        d.recorder.mark(d.runs.byId(run.id)!, { event: 'end', epoch: e, at: time.now(), total: EPOCHS, source: 'test' });
        if (crash && e === 9) await worker.close();
        await time.advance(3000);
        // The worker answers in order: once stats() is answered, every feed and detection posted before it is.
        await worker.stats();
        await new Promise((r) => setImmediate(r));
        const [st] = await worker.stats();
        if (e < 8) assert.equal(st, undefined, 'a short series is analysed in the daemon\'s thread: no live state yet');
        if (e === 9 && !crash) {
          fedAt9 = st?.samples ?? 0;
          assert.ok(fedAt9 >= 8 * (EPOCH_MS / STEP), `fed through epoch 9: ${fedAt9}`);
        }
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
