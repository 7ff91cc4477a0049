/** The one seam for time: the daemon reads the clock and sets timers only through these, so tests can drive time. */
export interface Clock {
  now(): number;
}

/** An opaque timer handle; real timers are unref'd so they never keep a process alive on their own. */
export interface TimerHandle {
  readonly id: number;
}

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle | null | undefined): void;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Node's timers behind the Scheduler interface. */
export function systemScheduler(): Scheduler {
  const live = new Map<number, NodeJS.Timeout>();
  let next = 1;
  const add = (t: NodeJS.Timeout): TimerHandle => {
    t.unref();
    const id = next++;
    live.set(id, t);
    return { id };
  };
  return {
    setTimeout(fn, ms) {
      let h: TimerHandle | null = null;
      const t = setTimeout(() => {
        if (h) live.delete(h.id);
        fn();
      }, ms);
      h = add(t);
      return h;
    },
    setInterval(fn, ms) {
      return add(setInterval(fn, ms));
    },
    clear(handle) {
      if (!handle) return;
      const t = live.get(handle.id);
      if (t) clearTimeout(t);
      live.delete(handle.id);
    },
  };
}

/** A sleep on a scheduler (a timeout that resolves). */
export function sleepOn(s: Scheduler, ms: number): Promise<void> {
  return new Promise((resolve) => s.setTimeout(resolve, ms));
}

/** The promise's value, or 'timeout' once ms pass on the scheduler first (the timer is cleared either way). */
export async function raceTimeout<T>(s: Scheduler, ms: number, p: Promise<T>): Promise<T | 'timeout'> {
  let timer: TimerHandle | null = null;
  const timeout = new Promise<'timeout'>((resolve) => (timer = s.setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    s.clear(timer);
  }
}
