import type { DB } from '../store/db.js';
import type { DeviceRow } from '../store/runs.js';

export interface Baselines {
  mlco2J: number | null;
  greenAlgorithmsJ: number | null;
}

/** GA's memory power: 0.3725 W per GB of memory (Lannelongue et al.). */
export const GA_W_PER_GB = 0.3725;

/**
 * The study's baselines over a run's span: MLCO2 = TDP × t, Green Algorithms = (TDP × mean GPU usage +
 * 0.3725 W/GB × mean RAM GB) × t. TDP is each device's power limit (null where no device reports one).
 */
export function computeBaselines(db: DB, rid: number, devices: DeviceRow[], from: number, to: number): Baselines {
  const seconds = Math.max(0, to - from) / 1000;
  if (devices.length === 0) return { mlco2J: null, greenAlgorithmsJ: null };
  let tdp = 0;
  let usedTdp = 0;
  for (const d of devices) {
    const limit = d.power_limit_w ?? d.max_power_limit_w;
    if (limit === null) return { mlco2J: null, greenAlgorithmsJ: null };
    const u = db
      .prepare('SELECT avg(util_gpu) AS u FROM gpu_samples WHERE dev = ? AND t >= ? AND t <= ?')
      .get(d.id, from, to) as { u: number | null };
    tdp += limit;
    usedTdp += limit * ((u.u ?? 0) / 100);
  }
  const ram = db.prepare('SELECT avg(rss_bytes) AS r FROM proc_samples WHERE rid = ? AND t >= ? AND t <= ?').get(rid, from, to) as {
    r: number | null;
  };
  const ramGB = (ram.r ?? 0) / 1e9;
  return { mlco2J: tdp * seconds, greenAlgorithmsJ: (usedTdp + GA_W_PER_GB * ramGB) * seconds };
}
