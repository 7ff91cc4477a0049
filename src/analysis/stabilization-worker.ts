// The detector off the daemon's event loop: one long-lived worker thread that runs detectStabilization on series
// sent whole, and keeps each live run's series and streaming matrix profile (LiveProfile) fed sample by sample.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { LiveProfile, type Feed } from './live-profile.js';
import { detectStabilization, type Stabilization, type StabilizationInput } from './stabilization.js';
import { internal } from '../errors.js';

const JOB = 'train-profiler:stabilization';
/** Code of the rejection when a live run's state is not in the worker (never fed, dropped, lost with a crash). */
export const LIVE_LOST = 'PROF_LIVE_LOST';

type LiveInput = Omit<StabilizationInput, 't' | 'powerW' | 'profiles'>;
type Request =
  | { id: number; op: 'detect'; input: StabilizationInput }
  | { id: number; op: 'live'; key: string; input: LiveInput }
  | { id: number; op: 'feed'; key: string; m: number; first: boolean; feed: Feed }
  | { id: number; op: 'drop'; key: string }
  | { id: number; op: 'stats' };
type Body = Request extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; message: string; code?: string };

/** What a live run's state holds in the worker (for tests and the bench). */
export interface LiveStats {
  key: string;
  samples: number;
  spacingMs: number | null;
  memoryBytes: number;
  batchProfiles: number;
}

/**
 * Client of the detector's worker thread, started on first use. Requests are answered in order; a worker that dies
 * takes the live states with it: `generation` then changes and pending requests are rejected, so the caller feeds
 * its runs again from their start.
 */
export class StabilizationWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Bumped each time a worker starts: live states fed to an earlier one are gone. */
  generation = 0;
  /** Live states fed and not dropped: with none and nothing pending the worker is stopped (its memory freed). */
  private readonly keys = new Set<string>();

  /** detectStabilization on a whole series, in the worker. */
  detect(input: StabilizationInput): Promise<Stabilization | null> {
    const t = Float64Array.from(input.t);
    const powerW = Float64Array.from(input.powerW);
    const { profiles: _drop, ...rest } = input;
    return this.call({ op: 'detect', input: { ...rest, t, powerW } }, [t.buffer, powerW.buffer]) as Promise<Stabilization | null>;
  }

  /**
   * Appends samples to the live state `key`. `first`: they are the run's series from its start (a new state replaces
   * any held); otherwise they continue it, and a worker without the state rejects with LIVE_LOST.
   */
  feed(key: string, m: number, first: boolean, feed: Feed): Promise<void> {
    const t = Float64Array.from(feed.t);
    const w = Float64Array.from(feed.w);
    this.keys.add(key);
    return this.call({ op: 'feed', key, m, first, feed: { ...feed, t, w } }, [t.buffer, w.buffer]) as Promise<void>;
  }

  /** detectStabilization on the live state `key`: its samples and kept profiles; rejects with LIVE_LOST without one. */
  detectLive(key: string, input: LiveInput): Promise<Stabilization | null> {
    return this.call({ op: 'live', key, input }) as Promise<Stabilization | null>;
  }

  drop(key: string): Promise<void> {
    this.keys.delete(key);
    if (this.worker === null) return Promise.resolve();
    return this.call({ op: 'drop', key }) as Promise<void>;
  }

  stats(): Promise<LiveStats[]> {
    return this.call({ op: 'stats' }) as Promise<LiveStats[]>;
  }

  /** Stops the worker: its live states are gone, requests in flight are rejected (a later request starts another). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.keys.clear();
    const err = internal('stabilization worker closed');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (w) await w.terminate();
  }

  private start(): Worker {
    const w = new Worker(new URL(import.meta.url), { workerData: { kind: JOB } });
    this.generation++;
    // Never keeps the process alive by itself; requests in flight keep it referenced (see call).
    w.unref();
    w.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) w.unref();
      // Idle with no live state: stopped until the next request (a long run's or a long series' analysis).
      if (this.pending.size === 0 && this.keys.size === 0 && this.worker === w) {
        this.worker = null;
        void w.terminate();
      }
      if (reply.ok) p.resolve(reply.result);
      else p.reject(Object.assign(new Error(reply.message), reply.code === undefined ? {} : { code: reply.code }));
    });
    const fail = (err: Error): void => {
      if (this.worker !== w) return; // stopped on purpose (idle, close): nothing was pending
      this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', (err) => fail(internal('stabilization worker failed', { cause: err })));
    w.on('exit', (code) => fail(internal(`stabilization worker exited with code ${code}`)));
    return w;
  }

  private call(req: Body, transfer: ArrayBuffer[] = []): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let w: Worker;
      try {
        w = this.worker ?? (this.worker = this.start());
      } catch (err) {
        reject(internal('stabilization worker could not start', { cause: err }));
        return;
      }
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ ...req, id }, transfer);
    });
  }
}

/** Same answer as detectStabilization, computed in a worker thread started for this one call. */
export async function detectStabilizationInWorker(input: StabilizationInput): Promise<Stabilization | null> {
  const w = new StabilizationWorker();
  try {
    return await w.detect(input);
  } finally {
    await w.close();
  }
}

// ---- the worker's side ----

function serve(port: NonNullable<typeof parentPort>): void {
  const live = new Map<string, LiveProfile>();
  const handle = (req: Request): unknown => {
    switch (req.op) {
      case 'detect':
        return detectStabilization(req.input);
      case 'feed': {
        let p = live.get(req.key);
        if (req.first) live.set(req.key, (p = new LiveProfile(req.m)));
        if (!p) throw Object.assign(new Error(`no live state for ${req.key}`), { code: LIVE_LOST });
        try {
          p.append(req.feed);
        } catch (err) {
          // A state that refused a feed no longer holds the run's series: dropped, the caller starts it again.
          live.delete(req.key);
          throw err;
        }
        return null;
      }
      case 'live': {
        const p = live.get(req.key);
        if (!p) throw Object.assign(new Error(`no live state for ${req.key}`), { code: LIVE_LOST });
        return detectStabilization({ ...req.input, ...p.source() });
      }
      case 'drop':
        live.delete(req.key);
        return null;
      case 'stats':
        return [...live].map(([key, p]): LiveStats => ({ key, samples: p.samples, spacingMs: p.spacingMs, memoryBytes: p.memoryBytes(), batchProfiles: p.batchProfiles }));
    }
  };
  port.on('message', (req: Request) => {
    let reply: Reply;
    try {
      reply = { id: req.id, ok: true, result: handle(req) };
    } catch (err) {
      const e = err as { message?: unknown; code?: unknown };
      reply = { id: req.id, ok: false, message: String(e.message ?? err), ...(typeof e.code === 'string' ? { code: e.code } : {}) };
    }
    port.postMessage(reply);
  });
}

// Only a worker started by the class above serves; importing this module elsewhere does nothing.
if (!isMainThread && (workerData as { kind?: unknown } | null)?.kind === JOB && parentPort) serve(parentPort);
