import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import { createDaemon, type Daemon } from '../../../src/daemon/create-daemon.js';
import { createProcessSampler } from '../../../src/samplers/process-tree.js';
import type { GpuSample } from '../../../src/samplers/types.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';
import { factory } from './sampling-harness.js';

const UUID = 'GPU-00000000-0000-0000-0000-000000000001';
const gpu = (t: number): GpuSample => ({ t, uuid: UUID, index: 0, powerW: 100, powerInstantW: null, powerLimitW: 300,
  utilGpuPct: 50, utilMemPct: 10, memUsedMiB: 1000, memTotalMiB: 80_000, tempC: 50, smClockMHz: 1500 });

/** A daemon on a fake scheduler whose only sampler is a process tree the test switches off; GPU samples are stored by hand. */
function fakeDaemon(time: FakeScheduler, alive: () => boolean): { d: Daemon; home: string } {
  const home = mkdtempSync(join(tmpdir(), 'orphan-'));
  const config = loadConfig({ env: { PROFILER_HOME: home }, overrides: { orphanAfterMs: 5000, processSampleMs: 1000 } });
  const tree = factory('process-tree', (ctx) => createProcessSampler({ clock: ctx.clock, targets: ctx.targets,
    tree: () => ({ sample: async () => ({ t: ctx.clock.now(), pids: alive() ? [4242] : [], rssBytes: 0, cpuPct: 0 }) }) }));
  const d = createDaemon({ config, logger: pino({ level: 'silent' }), clock: time, scheduler: time, samplers: [tree],
    inventory: async () => ({ devices: [{ uuid: UUID, index: 0, name: 'fake', powerLimitW: 300, maxPowerLimitW: 300,
      memTotalMiB: 80_000, driverVersion: null, cudaVersion: null, migUuids: [] }], warnings: [] }),
    detect: async () => null });
  return { d, home };
}

test('a run whose client died ends at the last sample of its process tree, not at the check, with the energy of that span', async () => {
  const time = new FakeScheduler();
  let alive = true;
  const { d, home } = fakeDaemon(time, () => alive);
  try {
    await d.ready;
    const deadPid = spawnSync('true').pid as number; // a command that is gone: the orphan check asks kill(0)
    const t0 = time.now();
    const run = d.recorder.start({ name: null, command: ['train'], cwd: null, pid: deadPid, startedAt: t0, expectedEpochs: null,
      cudaVisibleDevices: null, gpus: '0', meta: {} });
    for (let t = t0; t <= t0 + 30_000; t += 200) d.set.samples.addGpu([gpu(t)]); // the stream runs on after the command
    await time.advance(6000); // tree samples at t0 … t0 + 6000, all alive
    alive = false;
    await time.advance(5000 + 999); // first empty reading at +7 s; orphanAfterMs (5 s) later is +12 s
    assert.equal(d.runs.byId(run.id)?.status, 'running', 'not before orphanAfterMs');
    await time.advance(1);
    const ended = d.runs.byId(run.id);
    assert.equal(ended?.status, 'interrupted');
    assert.equal(ended?.ended_at, t0 + 6000, 'the tree was last seen alive at +6 s');
    assert.equal(ended?.exit_code, null);
    assert.deepEqual(d.runs.events(run.rid, 'interrupted').map((e) => e.data), [{ reason: 'its client died; the command\'s exit code is unknown' }]);
    assert.ok(Math.abs((ended?.energy?.gpuJ ?? 0) - 600) < 1, `100 W over 6 s, got ${ended?.energy?.gpuJ} J`);
  } finally {
    await d.close();
    rmSync(home, { recursive: true, force: true });
  }
});
