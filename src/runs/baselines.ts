import { greenAlgorithms, mlco2 } from '../analysis/estimators/index.js';
import { gpuSpecOfDevice } from '../config/gpus.js';
import type { DeviceRow } from '../store/runs.js';
import type { SampleReader } from '../store/sample-queries.js';

export interface Baselines {
  mlco2J: number | null;
  greenAlgorithmsJ: number | null;
}

/**
 * Running sums behind the baselines' means (GPU utilization per device, the tree's RSS), kept between calls so a
 * running run's GET reads only the samples since the previous one. The daemon holds one; the CLI reads once.
 */
export class MeanCache {
  private readonly sums = new Map<string, { from: number; until: number; sum: number; n: number }>();

  mean(reader: SampleReader, kind: 'util' | 'rss', id: number, from: number, to: number): number | null {
    const key = `${kind}:${id}:${from}`;
    let e = this.sums.get(key);
    if (!e || e.until > to) e = { from, until: from - 1, sum: 0, n: 0 };
    if (this.sums.size > 10_000) this.sums.clear();
    const r = reader.sumSince(kind, id, e.until, to);
    e = { from, until: to, sum: e.sum + r.sum, n: e.n + r.n };
    this.sums.set(key, e);
    return e.n === 0 ? null : e.sum / e.n;
  }
}

/** A device's TDP: its power limit, else its maximum limit, else the known board power of its model (config/gpus.json, whole words). */
export function tdpOf(d: Pick<DeviceRow, 'power_limit_w' | 'max_power_limit_w' | 'name'>): number | null {
  if (d.power_limit_w !== null) return d.power_limit_w;
  if (d.max_power_limit_w !== null) return d.max_power_limit_w;
  return gpuSpecOfDevice(d.name ?? '')?.tdpW ?? null;
}

/**
 * The study's baselines over a run's span: MLCO2 = TDP × t, Green Algorithms = (TDP × mean GPU usage +
 * 0.3725 W/GB × mean RAM GB of the process tree) × t, TDP per device by tdpOf (null where none is known).
 */
export function computeBaselines(
  reader: SampleReader,
  rid: number,
  devices: DeviceRow[],
  from: number,
  to: number,
  cache = new MeanCache(),
): Baselines {
  const seconds = Math.max(0, to - from) / 1000;
  if (devices.length === 0) return { mlco2J: null, greenAlgorithmsJ: null };
  let tdp = 0;
  let usedTdp = 0;
  for (const d of devices) {
    const limit = tdpOf(d);
    if (limit === null) return { mlco2J: null, greenAlgorithmsJ: null };
    tdp += limit;
    usedTdp += limit * ((cache.mean(reader, 'util', d.id, from, to) ?? 0) / 100);
  }
  const ramGB = (cache.mean(reader, 'rss', rid, from, to) ?? 0) / 1e9;
  // GA's usage factor applies to the devices' summed TDP: usage = Σ TDP_i × u_i / Σ TDP_i.
  const usage = tdp > 0 ? Math.min(1, usedTdp / tdp) : 0;
  return { mlco2J: mlco2(tdp, seconds), greenAlgorithmsJ: greenAlgorithms({ tdpW: tdp, usage, ramGB, seconds }) };
}
