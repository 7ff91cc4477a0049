import { hostname } from 'node:os';
import { Integrator } from '../analysis/energy.js';
import type { ProjectionJson } from '../analysis/estimators/index.js';
import type { Config } from '../config/schema.js';
import type { RunRow, RunStore } from '../store/runs.js';
import type { SampleStore } from '../store/samples.js';

/** This node's name: the run JSON's `host` and the `host` label of /metrics. */
export function nodeName(cfg: Pick<Config, 'nodeName'>): string {
  return cfg.nodeName ?? hostname();
}

export type Span = [number, number];

/** Overlapping or touching spans merged, in time order. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const [a, b] of [...spans].filter(([x, y]) => y > x).sort((p, q) => p[0] - q[0])) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Spans clipped to [from, to]. */
export function clipSpans(spans: readonly Span[], from: number, to: number): Span[] {
  return spans.flatMap(([a, b]): Span[] => (Math.min(b, to) > Math.max(a, from) ? [[Math.max(a, from), Math.min(b, to)]] : []));
}

/** Each GPU the job's runs used, with the union of those runs' intervals (an open run's reaching `until`). */
export function deviceSpans(runs: readonly RunRow[], store: Pick<RunStore, 'devices'>, until: number): Map<number, Span[]> {
  const raw = new Map<number, Span[]>();
  for (const r of runs) {
    for (const d of store.devices(r.rid)) {
      const list = raw.get(d.id) ?? [];
      list.push([r.started_at, r.ended_at ?? until]);
      raw.set(d.id, list);
    }
  }
  return new Map([...raw].map(([dev, spans]) => [dev, mergeSpans(spans)]));
}

/** GPU energy of these devices over their spans within [from, to]: a GPU two runs share is integrated once. */
export function gpuEnergyWithin(samples: Pick<SampleStore, 'eachGpuPower'>, spans: Map<number, Span[]>, from: number, to: number,
  maxGapMs: number): number {
  let j = 0;
  for (const [dev, list] of spans) {
    for (const [a, b] of clipSpans(list, from, to)) {
      const it = new Integrator([a, b], maxGapMs);
      samples.eachGpuPower(dev, a, b, (t, w) => it.push(t, w));
      j += it.finish().parts[0] ?? 0;
    }
  }
  return j;
}

/** The widest sample spacing any of the job's runs bridges. */
export function jobMaxGapMs(cfg: Pick<Config, 'gapIntervals'>, runs: readonly RunRow[]): number {
  return cfg.gapIntervals * Math.max(1, ...runs.map((r) => r.sample_ms)) + 1;
}

export interface JobRunPart {
  running: boolean;
  /** The run's own energy (GPU + RAM) so far, or its final energy. */
  totalJ: number;
  projection: ProjectionJson | null;
}

export interface JobProjection {
  powerBasedJ: number | null;
  epochEnergyBasedJ: number | null;
}

/**
 * The job's projected energy on this node by method: each running run's projection, each finished run's energy,
 * less what the runs counted twice so far (shared GPUs). Unknown while a running run has no projection for the method.
 */
export function jobProjection(parts: readonly JobRunPart[], jobTotalJ: number): JobProjection {
  const overlap = Math.max(0, parts.reduce((a, p) => a + p.totalJ, 0) - jobTotalJ);
  const method = (key: 'powerBasedJ' | 'epochEnergyBasedJ'): number | null => {
    let sum = 0;
    for (const p of parts) {
      const v = p.running ? p.projection?.[key] ?? null : p.totalJ;
      if (v === null) return null;
      sum += v;
    }
    return parts.length === 0 ? null : sum - overlap;
  };
  return { powerBasedJ: method('powerBasedJ'), epochEnergyBasedJ: method('epochEnergyBasedJ') };
}
