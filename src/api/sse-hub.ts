import type { Clock, Scheduler, TimerHandle } from '../platform/clock.js';
import type { RunEvent } from '../runs/lifecycle.js';
import { energyJson } from '../runs/report.js';
import type { GpuSample } from '../samplers/types.js';
import type { RunRow } from '../store/runs.js';
import type { ApiEvents, ApiQueries } from './deps.js';

/** What the hub needs of the daemon (narrow, so unit tests can hand it fakes). */
export interface HubSource {
  events: ApiEvents;
  queries: Pick<ApiQueries, 'running' | 'runDevices'>;
  clock: Clock;
  scheduler: Scheduler;
}

/** The part of an HTTP response the hub writes to. */
export interface SseSink {
  write(chunk: string): boolean;
  end(): void;
  readonly writableLength: number;
}

export interface HubOptions {
  heartbeatMs?: number;
  /** Events kept per run for Last-Event-ID resumption. */
  ringSize?: number;
  /** Bytes a client may have unsent before its events are dropped. */
  clientBufferBytes?: number;
}

interface Client {
  sink: SseSink;
  dropped: number;
}

interface RunState {
  ring: { id: number; text: string; kind: string }[];
  clients: Set<Client>;
  ended: boolean;
  devices: Map<string, number | null> | null;
  devicesAt: number;
}

interface Bucket {
  sec: number;
  index: number | null;
  sum: number;
  n: number;
  max: number;
}

const MAX_RUNS = 256;

/**
 * Server-Sent Events of runs: GPU power aggregated to one event per device per second, run events as they happen,
 * a bounded ring per run for Last-Event-ID, and bounded per-client buffers so a slow client only loses its own events.
 */
export class SseHub {
  /** Events dropped because a client was not reading, since the daemon started. */
  dropped = 0;
  private nextId: number;
  private readonly states = new Map<string, RunState>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly timer: TimerHandle;
  private readonly unsubscribe: (() => void)[];
  private readonly ringSize: number;
  private readonly maxBuffer: number;

  constructor(private readonly src: HubSource, opts: HubOptions = {}) {
    this.ringSize = opts.ringSize ?? 2048;
    this.maxBuffer = opts.clientBufferBytes ?? 64 * 1024;
    this.nextId = src.clock.now() * 1000; // ids keep increasing across daemon restarts
    this.unsubscribe = [src.events.onRun((run, e) => this.runEvent(run, e)), src.events.onGpu((b) => this.gpuBatch(b))];
    this.timer = src.scheduler.setInterval(() => this.heartbeat(), opts.heartbeatMs ?? 15_000);
  }

  get clients(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.clients.size;
    return n;
  }

  /**
   * Streams a run's events to sink: first those after lastEventId still in the ring, then live ones. A run that
   * has ended gets its final status event (unless already seen) and the stream ends. Returns the unsubscriber.
   */
  subscribe(run: RunRow, sink: SseSink, lastEventId: number | null): () => void {
    const st = this.state(run.id);
    const client: Client = { sink, dropped: 0 };
    sink.write('retry: 3000\n\n');
    if (lastEventId !== null) {
      for (const e of st.ring) if (e.id > lastEventId) this.send(client, e.text);
    }
    if (run.status !== 'running' || st.ended) {
      const final = st.ring.findLast((e) => e.kind === 'status');
      if (!final) this.send(client, this.format(this.nextId++, 'status', { runId: run.id, status: run.status, energy: run.energy && energyJson(run.energy) }));
      else if (lastEventId === null) this.send(client, final.text);
      sink.end();
      return () => {};
    }
    st.clients.add(client);
    return () => st.clients.delete(client);
  }

  close(): void {
    this.src.scheduler.clear(this.timer);
    for (const u of this.unsubscribe) u();
    for (const st of this.states.values()) {
      for (const c of st.clients) c.sink.end();
      st.clients.clear();
    }
  }

  private state(runId: string): RunState {
    let st = this.states.get(runId);
    if (!st) {
      st = { ring: [], clients: new Set(), ended: false, devices: null, devicesAt: 0 };
      this.states.set(runId, st);
      if (this.states.size > MAX_RUNS) {
        for (const [id, s] of this.states) {
          if (s.clients.size === 0 && id !== runId) {
            this.states.delete(id);
            break;
          }
        }
      }
    }
    return st;
  }

  private format(id: number, kind: string, data: object): string {
    return `id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  private publish(runId: string, kind: string, data: object): void {
    const st = this.state(runId);
    const id = this.nextId++;
    const text = this.format(id, kind, { runId, ...data });
    st.ring.push({ id, text, kind });
    if (st.ring.length > this.ringSize) st.ring.splice(0, st.ring.length - this.ringSize);
    for (const c of st.clients) this.send(c, text);
  }

  private send(c: Client, text: string): void {
    // A client whose socket is not draining loses events (counted) instead of growing the daemon's memory.
    if (c.sink.writableLength + text.length > this.maxBuffer) {
      c.dropped++;
      this.dropped++;
      return;
    }
    c.sink.write(text);
  }

  private runEvent(run: RunRow, { kind, data }: RunEvent): void {
    const st = this.state(run.id);
    // The final status is the run's last event (epochs finalized later were already sealed into it).
    if (st.ended && kind !== 'status') return;
    if (kind === 'devices') st.devices = null;
    // Payloads in the run JSON's types: energy as GET /v1/runs/:id has it (gaps a count, not the stored list).
    this.publish(run.id, kind, kind === 'status' ? { ...data, energy: energyJson(data.energy) } : data);
    if (kind === 'status' && run.status !== 'running') {
      st.ended = true;
      for (const c of st.clients) c.sink.end();
      st.clients.clear();
    }
  }

  private gpuBatch(batch: readonly GpuSample[]): void {
    const done: (Bucket & { uuid: string })[] = [];
    for (const s of batch) {
      if (s.powerW === null) continue;
      const sec = Math.floor(s.t / 1000);
      const b = this.buckets.get(s.uuid);
      if (b && sec <= b.sec) {
        b.sum += s.powerW;
        b.n++;
        b.max = Math.max(b.max, s.powerW);
        continue;
      }
      if (b) done.push({ ...b, uuid: s.uuid });
      this.buckets.set(s.uuid, { sec, index: s.index, sum: s.powerW, n: 1, max: s.powerW });
    }
    if (done.length > 0) this.dispatch(done);
  }

  /** Completed seconds go to every running run that uses the device. */
  private dispatch(done: (Bucket & { uuid: string })[]): void {
    const now = this.src.clock.now();
    for (const run of this.src.queries.running()) {
      const st = this.state(run.id);
      if (st.devices === null || now - st.devicesAt > 5000) {
        st.devices = new Map(this.src.queries.runDevices(run).map((d) => [d.uuid, d.idx]));
        st.devicesAt = now;
      }
      for (const b of done) {
        if (!st.devices.has(b.uuid) || b.sec * 1000 < run.started_at - 1000) continue;
        this.publish(run.id, 'sample', { uuid: b.uuid, index: b.index, t: b.sec * 1000, meanW: b.sum / b.n, maxW: b.max, n: b.n });
      }
    }
  }

  private heartbeat(): void {
    for (const st of this.states.values()) {
      for (const c of st.clients) if (c.sink.writableLength < this.maxBuffer) c.sink.write(': keepalive\n\n');
    }
  }
}
