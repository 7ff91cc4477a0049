import type { PeriodicSampler, Reading, SamplerHealth } from './types.js';

export interface PeriodicOptions {
  name: string;
  /** Set when the sampler cannot work on this machine at all: it stays `unavailable` with this message, never reads. */
  unavailable?: string | null;
  /** One reading; throws on failure. `problem` marks a partial failure (some data came, some did not). */
  read(problem: (message: string) => void): Promise<Reading | null>;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The health bookkeeping every periodic sampler shares: `running` while reads succeed, `failed` with the reason when
 * one throws or the loop times it out, `idle` when stopped. A read that answers after stop() is ignored.
 */
export function periodicSampler(o: PeriodicOptions): PeriodicSampler {
  const unavailable = o.unavailable ?? null;
  const health: SamplerHealth = {
    name: o.name,
    state: unavailable === null ? 'idle' : 'unavailable',
    lastSampleAt: null,
    restarts: 0,
    message: unavailable,
  };
  let session = 0;
  let started = false;
  const set = (patch: Partial<SamplerHealth>): void => void Object.assign(health, patch);

  return {
    kind: 'periodic',
    name: o.name,
    async start() {
      if (started || unavailable !== null) return;
      started = true;
      session++;
      set({ state: 'running', message: null });
    },
    async stop() {
      if (!started) return;
      started = false;
      session++;
      set({ state: 'idle', message: null });
    },
    health: () => ({ ...health }),
    timedOut(afterMs) {
      if (started) set({ state: 'failed', message: `${o.name}: no answer within ${afterMs} ms (sample timed out)` });
    },
    async sample() {
      if (!started) return null;
      const mine = session;
      let partial: string | null = null;
      try {
        const r = await o.read((message) => (partial ??= message));
        if (mine !== session) return null;
        if (partial !== null) set({ state: 'failed', message: partial });
        else set({ state: 'running', message: null });
        if (r) set({ lastSampleAt: r.t });
        return r;
      } catch (err) {
        if (mine === session) set({ state: 'failed', message: messageOf(err) });
        return null;
      }
    },
  };
}
