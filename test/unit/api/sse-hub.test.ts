import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SseHub, type HubSource, type SseSink } from '../../../src/api/sse-hub.js';
import type { GpuSample } from '../../../src/samplers/types.js';
import type { RunEvent, RunListener } from '../../../src/runs/lifecycle.js';
import type { RunRow } from '../../../src/store/runs.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

const A = 'GPU-a';
const B = 'GPU-b';
const OTHER = 'GPU-other';

function run(over: Partial<RunRow> = {}): RunRow {
  return { rid: 1, id: 'run1abc', name: null, command: [], cwd: null, status: 'running', exit_code: null, signal: null,
    started_at: 0, ended_at: null, expected_epochs: null, client_pid: null, sample_ms: 100, gpu_source: 'all', meta: {},
    baseline: {}, energy: null, analysis: null, energy_prefix: null, import_pid: null, host: null, job_id: null, job_source: null,
    job_host: null, job_rank: null, job_step: null, budget: null, ...over };
}

type Source = HubSource & { rows: RunRow[]; listeners: Set<RunListener>; gpuListeners: Set<(b: readonly GpuSample[]) => void>;
  time: FakeScheduler };

function source(r: RunRow): Source {
  const rows = [r];
  const listeners = new Set<RunListener>();
  const gpuListeners = new Set<(b: readonly GpuSample[]) => void>();
  const time = new FakeScheduler(0);
  const sub = <T>(set: Set<T>, l: T): (() => void) => (set.add(l), () => set.delete(l));
  return {
    rows, listeners, gpuListeners, time, clock: time, scheduler: time,
    events: { onRun: (l) => sub(listeners, l), onGpu: (l) => sub(gpuListeners, l) },
    queries: {
      running: () => rows.filter((x) => x.status === 'running'),
      runDevices: () => [{ uuid: A, idx: 0 }, { uuid: B, idx: 1 }],
    },
  };
}

const ENERGY = { totalJ: 12, gpuJ: 12, ramJ: 0, cpuJ: null, gpuCoverage: 1, gaps: [] };

class Sink implements SseSink {
  text = '';
  ended = false;
  writableLength = 0;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  end(): void {
    this.ended = true;
  }
  events(): { id: number; event: string; data: any }[] {
    return this.text.split('\n\n').filter((b) => b.startsWith('id:')).map((b) => {
      const f = Object.fromEntries(b.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
      return { id: Number(f.id), event: f.event as string, data: JSON.parse(f.data as string) };
    });
  }
}

const sample = (uuid: string, t: number, powerW: number | null): GpuSample => ({
  t, uuid, index: uuid === A ? 0 : 1, powerW, powerInstantW: null, powerLimitW: 400, utilGpuPct: null, utilMemPct: null,
  memUsedMiB: null, memTotalMiB: null, tempC: null, smClockMHz: null,
});

function feed(src: Source, batch: GpuSample[]): void {
  for (const l of src.gpuListeners) l(batch);
}

describe('SseHub', () => {
  it('aggregates GPU power to one event per device per second (mean, max), only for the run\'s devices', () => {
    const r = run();
    const src = source(r);
    const hub = new SseHub(src);
    const sink = new Sink();
    hub.subscribe(r, sink, null);
    feed(src, [sample(A, 1000, 100), sample(B, 1000, 50), sample(OTHER, 1000, 10)]);
    feed(src, [sample(A, 1500, 200), sample(B, 1500, 70), sample(OTHER, 1500, 10)]);
    assert.equal(sink.events().length, 0, 'a second is sent once it is complete');
    feed(src, [sample(A, 2000, 300), sample(B, 2000, null), sample(OTHER, 2000, 10)]);
    feed(src, [sample(B, 2100, 90)]);
    const ev = sink.events();
    assert.deepEqual(ev.map((e) => [e.event, e.data.uuid, e.data.t, e.data.meanW, e.data.maxW, e.data.n]), [
      ['sample', A, 1000, 150, 200, 2],
      ['sample', B, 1000, 60, 70, 2],
    ]);
    assert.ok(ev.every((e) => e.data.runId === r.id));
    hub.close();
  });

  it('forwards run events, resumes after Last-Event-ID from the ring, and ends after the final status', () => {
    const r = run();
    const src = source(r);
    const hub = new SseHub(src, { ringSize: 3 });
    const first = new Sink();
    hub.subscribe(r, first, null);
    const emit = (e: RunEvent): void => {
      for (const l of src.listeners) l(r, e);
    };
    for (let e = 1; e <= 4; e++) emit({ kind: 'epoch', data: { epoch: e, event: 'end', at: e } });
    emit({ kind: 'projection', data: { projection: { powerBasedJ: 5, epochEnergyBasedJ: null, windowEpochs: 5, stableFromEpoch: 1,
      provisional: true, powerBased: null, epochEnergyBased: null, bands: null } } });
    const seen = first.events();
    assert.deepEqual(seen.map((e) => e.event), ['epoch', 'epoch', 'epoch', 'epoch', 'projection']);
    assert.ok(seen.every((e, i) => i === 0 || e.id > (seen[i - 1] as { id: number }).id), 'ids increase');
    const resumed = new Sink();
    hub.subscribe(r, resumed, (seen[2] as { id: number }).id);
    assert.deepEqual(resumed.events().map((e) => e.data.epoch ?? 'p'), [4, 'p'], 'events after the given id, from the ring');
    const ended = { ...r, status: 'succeeded' as const };
    for (const l of src.listeners) l(ended, { kind: 'status', data: { status: 'succeeded', energy: ENERGY } });
    assert.equal(first.ended && resumed.ended, true, 'streams end after the final status');
    assert.equal(first.events().at(-1)?.event, 'status');
    assert.equal(hub.clients, 0);
    const late = new Sink();
    hub.subscribe(ended, late, null);
    assert.deepEqual(late.events().map((e) => e.event), ['status'], 'a finished run answers its final status and ends');
    assert.equal(late.ended, true);
    hub.close();
  });

  it('a finished run without buffered events gets a status from the row', () => {
    const r = run({ status: 'failed', energy: ENERGY });
    const hub = new SseHub(source(r));
    const sink = new Sink();
    hub.subscribe(r, sink, null);
    assert.deepEqual(sink.events().map((e) => [e.event, e.data.status, e.data.energy.totalJ]), [['status', 'failed', 12]]);
    assert.equal(sink.ended, true);
    hub.close();
  });

  it('status events carry the run JSON\'s energy: gaps a count, live and replayed from the row alike', () => {
    const gap = (from: number) => ({ device: A, from, to: from + 900, ms: 900 });
    const energy = { ...ENERGY, gaps: [gap(1000), gap(5000), gap(9000)] };
    const r = run();
    const src = source(r);
    const hub = new SseHub(src);
    const live = new Sink();
    hub.subscribe(r, live, null);
    for (const l of src.listeners) l({ ...r, status: 'succeeded' }, { kind: 'status', data: { status: 'succeeded', energy } });
    const fromRow = new Sink();
    new SseHub(source(run({ status: 'succeeded', energy }))).subscribe(run({ status: 'succeeded', energy }), fromRow, null);
    for (const sink of [live, fromRow]) {
      const e = sink.events().at(-1)?.data.energy;
      assert.equal(e.gaps, 3, 'the count, as GET /v1/runs/:id says');
      assert.deepEqual([e.totalJ, e.gpuMethod, e.gpuCounterJ, e.gpuIntegralJ], [12, 'integral', null, 12]);
    }
    hub.close();
  });

  it('drops events for a client that does not drain, counts them, and keeps serving the others', () => {
    const r = run();
    const src = source(r);
    const hub = new SseHub(src, { clientBufferBytes: 1000 });
    const slow = new Sink();
    slow.writableLength = 5000;
    const fast = new Sink();
    hub.subscribe(r, slow, null);
    hub.subscribe(r, fast, null);
    for (let e = 1; e <= 10; e++) for (const l of src.listeners) l(r, { kind: 'epoch', data: { epoch: e, event: 'end', at: e } });
    assert.equal(fast.events().length, 10);
    assert.equal(slow.events().length, 0);
    assert.equal(hub.dropped, 10);
    hub.close();
  });

  it('sends heartbeat comments on its scheduler, and no timer is left after close', async () => {
    const r = run();
    const src = source(r);
    const hub = new SseHub(src, { heartbeatMs: 20 });
    const sink = new Sink();
    hub.subscribe(r, sink, null);
    await src.time.advance(19);
    assert.equal(sink.text.includes(': keepalive'), false, 'not before the interval');
    await src.time.advance(1);
    assert.equal(sink.text.split(': keepalive\n\n').length - 1, 1);
    await src.time.advance(40);
    assert.equal(sink.text.split(': keepalive\n\n').length - 1, 3);
    hub.close();
    assert.equal(sink.ended, true, 'close ends open streams');
    assert.equal(src.time.pending, 0);
  });
});
