import { statementCache, type DB } from './db.js';

/** One stored read of a GPU's NVML energy counter. */
export interface CounterRead {
  t: number;
  mj: number;
}

/** The read side of the NVML energy counters (table gpu_energy): reads around an instant, and counter restarts. */
export class GpuEnergyReader {
  private readonly q;
  constructor(db: DB) {
    this.q = statementCache(db);
  }

  /** The latest read at or before t. */
  atOrBefore(dev: number, t: number): CounterRead | null {
    const r = this.q('SELECT t, energy_mj FROM gpu_energy WHERE dev = ? AND t <= ? ORDER BY t DESC LIMIT 1').raw().get(dev, t) as
      | [number, number]
      | undefined;
    return r ? { t: r[0], mj: r[1] } : null;
  }

  /** The earliest read at or after t. */
  atOrAfter(dev: number, t: number): CounterRead | null {
    const r = this.q('SELECT t, energy_mj FROM gpu_energy WHERE dev = ? AND t >= ? ORDER BY t LIMIT 1').raw().get(dev, t) as
      | [number, number]
      | undefined;
    return r ? { t: r[0], mj: r[1] } : null;
  }

  /** The time of the first read in (from, to] below the one before it (a driver reload), or null. */
  firstReset(dev: number, from: number, to: number): number | null {
    const t = this.q('SELECT t FROM gpu_energy WHERE dev = ? AND reset = 1 AND t > ? AND t <= ? ORDER BY t LIMIT 1').pluck().get(dev, from, to);
    return typeof t === 'number' ? t : null;
  }
}
