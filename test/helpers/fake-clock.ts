import type { Clock, Scheduler, TimerHandle } from '../../src/platform/clock.js';

interface Timer {
  id: number;
  at: number;
  every: number | null;
  fn: () => void;
}

/**
 * A clock and scheduler that move only when a test says so: `advance(ms)` runs every timer due in order, letting
 * promises settle between them, so logic that depends on time is tested without waiting for it.
 */
export class FakeScheduler implements Clock, Scheduler {
  private t: number;
  private seq = 1;
  private readonly timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  clear(handle: TimerHandle | null | undefined): void {
    if (handle) this.timers.delete(handle.id);
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by ms, firing due timers in time order (and those they set, when due). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = [...this.timers.values()].filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      if (due.every === null) this.timers.delete(due.id);
      else due.at += due.every;
      due.fn();
    }
    this.t = end;
    await settle();
  }

  private add(fn: () => void, ms: number, every: number | null): TimerHandle {
    const id = this.seq++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), every, fn });
    return { id };
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
