import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleepOn } from '../../../src/platform/clock.js';
import { createHostMemorySampler } from '../../../src/samplers/host.js';
import { createProcessSampler } from '../../../src/samplers/process-tree.js';
import { createRaplSampler } from '../../../src/samplers/rapl.js';
import { factory, harness, memReading, scripted } from './sampling-harness.js';

const tree = (pids: number[]) => ({ t: 0, pids, rssBytes: 1000 * pids.length, cpuPct: 10 });

describe('the sampling loop on a fake scheduler', () => {
  it('ticks every processSampleMs while a run is tracked, and not before or after', async () => {
    const mem = scripted('host-memory', async (_n, ctx) => memReading(ctx.clock.now()));
    const h = harness([mem]);
    await h.clock.advance(5000);
    assert.equal(mem.calls, 0, 'no run, no tick');
    h.sampling.track('r1', 1, null);
    await h.clock.advance(3000);
    assert.equal(mem.calls, 4, 'one at once, then one per second');
    assert.deepEqual(h.store.host.map((r) => r.t - h.store.host[0]!.t), [0, 1000, 2000, 3000]);
    assert.equal(h.store.host[0]!.memUsedBytes, 40);
    h.sampling.untrack('r1');
    await h.clock.advance(5000);
    assert.equal(mem.calls, 4);
    assert.equal(h.healthOf('host-memory')?.state, 'idle');
    await h.sampling.close();
    assert.equal(h.clock.pending, 0, 'close leaves no timer');
  });

  it('keeps one tick in flight: a slow sampler makes ticks skip, never stack', async () => {
    let busy = 0;
    let maxBusy = 0;
    const slow = scripted('slow', async (_n, ctx) => {
      maxBusy = Math.max(maxBusy, ++busy);
      await sleepOn(ctx.scheduler, 2500);
      busy--;
      return memReading(ctx.clock.now());
    });
    const h = harness([slow], { tickTimeoutMs: 10_000 });
    h.sampling.track('r1', 1, null);
    await h.clock.advance(5000);
    // Ticks at 0 (busy until 2500) and 3000 (busy until 5500); those at 1000, 2000, 4000 and 5000 were skipped.
    assert.equal(slow.calls, 2);
    assert.equal(maxBusy, 1);
    await h.sampling.close();
  });

  it('times out a hung sampler, reports it in its health, and the loop and the other samplers go on', async () => {
    const hung = scripted('hung', () => new Promise(() => {}));
    const mem = scripted('host-memory', async (_n, ctx) => memReading(ctx.clock.now()));
    const h = harness([hung, mem], { tickTimeoutMs: 3000 });
    h.sampling.track('r1', 1, null);
    await h.clock.advance(2999);
    assert.equal(h.healthOf('hung')?.state, 'running', 'not yet timed out');
    await h.clock.advance(1);
    const hh = h.healthOf('hung');
    assert.equal(hh?.state, 'failed');
    assert.match(hh?.message ?? '', /hung: no answer within 3000 ms \(sample timed out\)/);
    await h.clock.advance(3000);
    // The first tick waited 3 s for the hung sampler; from then on it is skipped (its call is still pending).
    assert.equal(hung.calls, 1, 'a pending call is not stacked');
    assert.equal(mem.calls, 4, 'ticks at 0, 4000, 5000, 6000');
    assert.equal(h.store.host.length, 4);
    assert.equal(h.healthOf('host-memory')?.state, 'running');
    assert.equal(h.warnings('hung').length, 1, 'logged once, not once per tick');
    await h.sampling.close();
    assert.equal(h.clock.pending, 0);
  });

  it('a failing host-memory sampler is reported (state + message, logged once) while the process sampler goes on', async () => {
    let broken = true;
    const source = async () => {
      if (broken) throw new Error('EIO reading /proc/meminfo');
      return { total: 1000, available: 250 };
    };
    const h = harness([
      factory('host-memory', (ctx) => createHostMemorySampler({ clock: ctx.clock, source })),
      factory('process-tree', (ctx) => createProcessSampler({ clock: ctx.clock, targets: ctx.targets,
        tree: () => ({ sample: async () => ({ ...tree([42, 43]), t: ctx.clock.now() }) }) })),
    ]);
    h.sampling.track('r1', 7, 42);
    await h.clock.advance(3000);
    const mem = h.healthOf('host-memory');
    assert.equal(mem?.state, 'failed');
    assert.match(mem?.message ?? '', /could not read system memory/);
    assert.equal(h.warnings('host-memory').length, 1);
    assert.ok(h.store.host.length >= 4 && h.store.host.every((r) => r.memUsedBytes === null), 'host rows keep coming, with nulls');
    assert.equal(h.healthOf('process-tree')?.state, 'running');
    assert.ok(h.store.proc.length >= 4 && h.store.proc.every((r) => r.rid === 7 && r.nProcs === 2));
    assert.deepEqual(h.sampling.pidsOf('r1'), [42, 43]);
    broken = false;
    await h.clock.advance(1000);
    assert.equal(h.healthOf('host-memory')?.state, 'running');
    assert.equal(h.store.host.at(-1)?.memUsedBytes, 750);
    assert.ok(h.logs.some((l) => l.sampler === 'host-memory' && l.state === 'running'), 'the recovery is logged too');
    await h.sampling.close();
  });

  it('one failing process tree is reported; the other run\'s tree is still sampled', async () => {
    const h = harness([factory('process-tree', (ctx) => createProcessSampler({ clock: ctx.clock, targets: ctx.targets,
      tree: (pid) => ({ sample: async () => {
        if (pid === 13) throw new Error('procfs unreadable');
        return { ...tree([pid]), t: ctx.clock.now() };
      } }) }))]);
    h.sampling.track('good', 1, 12);
    h.sampling.track('bad', 2, 13);
    await h.clock.advance(2000);
    const p = h.healthOf('process-tree');
    assert.equal(p?.state, 'failed');
    assert.match(p?.message ?? '', /run bad \(pid 13\).*procfs unreadable/);
    assert.ok(h.store.proc.length >= 2 && h.store.proc.every((r) => r.rid === 1));
    await h.sampling.close();
  });

  it('RAPL without counters is unavailable with its reason, logged at creation, and stores no CPU energy', async () => {
    const h = harness([factory('rapl', (ctx) => createRaplSampler({ clock: ctx.clock, powercapRoot: '/nonexistent/powercap' }))]);
    const r = h.healthOf('rapl');
    assert.equal(r?.state, 'unavailable');
    assert.match(r?.message ?? '', /RAPL.*no powercap folder/);
    assert.ok(h.logs.some((l) => l.sampler === 'rapl' && l.state === 'unavailable'));
    h.sampling.track('r1', 1, null);
    await h.clock.advance(2000);
    assert.ok(h.store.host.length === 3 && h.store.host.every((x) => x.cpuEnergyJ === null));
    assert.equal(h.healthOf('rapl')?.state, 'unavailable');
    await h.sampling.close();
  });
});

describe('orphan detection on a fake scheduler', () => {
  it('calls onOrphan once, orphanAfterMs after the run\'s process tree was first found empty', async () => {
    let alive = true;
    const h = harness([factory('process-tree', (ctx) => createProcessSampler({ clock: ctx.clock, targets: ctx.targets,
      tree: () => ({ sample: async () => ({ ...tree(alive ? [42] : []), t: ctx.clock.now() }) }) }))], { cfg: { orphanAfterMs: 5000 } });
    h.sampling.track('r1', 1, 42);
    await h.clock.advance(3000);
    alive = false;
    await h.clock.advance(1000); // first empty reading at 4000
    assert.deepEqual(h.sampling.pidsOf('r1'), []);
    await h.clock.advance(4999);
    assert.deepEqual(h.orphans, [], 'not before orphanAfterMs');
    await h.clock.advance(1);
    assert.deepEqual(h.orphans, ['r1']);
    await h.clock.advance(10_000);
    assert.deepEqual(h.orphans, ['r1'], 'once');
    await h.sampling.close();
  });

  it('a tree that comes back in time is not an orphan', async () => {
    let alive = true;
    const h = harness([factory('process-tree', (ctx) => createProcessSampler({ clock: ctx.clock, targets: ctx.targets,
      tree: () => ({ sample: async () => ({ ...tree(alive ? [42] : []), t: ctx.clock.now() }) }) }))], { cfg: { orphanAfterMs: 5000 } });
    h.sampling.track('r1', 1, 42);
    alive = false;
    await h.clock.advance(4000);
    alive = true;
    await h.clock.advance(1000);
    alive = false;
    await h.clock.advance(4000);
    assert.deepEqual(h.orphans, []);
    await h.clock.advance(2000);
    assert.deepEqual(h.orphans, ['r1']);
    await h.sampling.close();
  });
});
