import { Integrator, type Integration } from '../analysis/energy.js';
import { cpuParts, sumWithin, type EnergyOptions, type EnergyParts } from '../analysis/run-energy.js';
import type { Config } from '../config/schema.js';
import type { EpochRow, EpochStore } from '../store/epochs.js';
import type { GpuEnergyReader } from '../store/gpu-energy.js';
import type { EnergyPrefix, RunEnergy } from '../store/run-data.js';
import type { RunRow, RunStore } from '../store/runs.js';
import type { SampleStore } from '../store/samples.js';
import { counterParts } from './gpu-counter.js';

export type { EnergyPrefix, RunEnergy } from '../store/run-data.js';

/**
 * Energy of a run's devices and process tree between consecutive cut times, from the stored raw samples. Parts sum
 * exactly to the whole span, so per-epoch figures and the run total always agree.
 */
export function energyParts(
  samples: SampleStore,
  run: { rid: number },
  devices: { id: number; uuid: string }[],
  cuts: number[],
  opts: EnergyOptions,
  /** Each device's GPU integration over these cuts, made elsewhere from the same rows (an import's parse pass). */
  gpuDone: ReadonlyMap<string, Integration> | null = null,
): EnergyParts {
  const n = Math.max(cuts.length - 1, 0);
  const from = cuts[0] ?? 0;
  const to = cuts[n] ?? 0;
  const gpu = new Array<number>(n).fill(0);
  const gaps: EnergyParts['gaps'] = [];
  let covered = 0;
  for (const d of devices) {
    let r = gpuDone?.get(d.uuid);
    if (r === undefined) {
      const it = new Integrator(cuts, opts.gpuMaxGapMs);
      samples.eachGpuPower(d.id, from, to, (t, w) => it.push(t, w));
      r = it.finish();
    }
    r.parts.forEach((v, i) => (gpu[i] = (gpu[i] as number) + v));
    covered += r.coveredMs.reduce((a, b) => a + b, 0);
    for (const g of r.gaps) gaps.push({ ...g, device: d.uuid });
  }
  const ramIt = new Integrator(cuts, opts.procMaxGapMs);
  samples.eachRamPower(run.rid, from, to, opts.ramWattsPerGB, (t, w) => ramIt.push(t, w));
  const ram = ramIt.finish().parts;
  const cpu = cpuParts(samples.cpuEnergy(from - opts.procMaxGapMs, to + opts.procMaxGapMs), cuts);
  const span = to - from;
  // No GPU measured covers nothing (0, not a perfect 1); an empty span has nothing to cover.
  const gpuCoverage = devices.length === 0 ? 0 : span <= 0 ? 1 : covered / (span * devices.length);
  return { cuts, gpu, ram, cpu, gaps, gpuCoverage };
}

/** How far apart samples may be and still be bridged, and RAM watts per GB: a run's energy and its exports share them. */
export function energyOptions(cfg: Config, run: { sample_ms: number }): EnergyOptions {
  return {
    gpuMaxGapMs: cfg.gapIntervals * run.sample_ms + 1,
    procMaxGapMs: cfg.gapIntervals * cfg.processSampleMs + 1,
    ramWattsPerGB: cfg.ramWattsPerGB,
  };
}

/** Computes run and epoch energy from the stored samples; the one place that knows how cuts map to epochs. */
export class EnergyService {
  constructor(
    private readonly cfg: Config,
    private readonly runs: RunStore,
    private readonly epochs: EpochStore,
    private readonly samples: SampleStore,
    /** The NVML counter reads; without them GPU energy is always the power integral. */
    private readonly counters: GpuEnergyReader | null = null,
  ) {}

  private opts(run: RunRow): EnergyOptions {
    return energyOptions(this.cfg, run);
  }

  /**
   * The integral parts with GPU energy from the NVML counters where every device of the run has a usable one over
   * the cuts; `integral` keeps the ∫ power.draw figures. Imported runs have no counter.
   */
  private withCounter(run: RunRow, devices: { id: number; uuid: string }[], p: EnergyParts, live: boolean): GpuFigures {
    const integral = p.gpu;
    const none = { parts: p, integral, method: 'integral' as const, note: null };
    if (this.counters === null || run.status === 'imported') return none;
    // Live: reads still queued for the next flush are not stored yet, so the latest stored one may be that much older.
    const c = counterParts(this.counters, devices, p.cuts, { extrapolateMs: live ? this.opts(run).gpuMaxGapMs + this.cfg.flushMs : 0 });
    if (c.gpu === null) return { ...none, note: c.note };
    return { parts: { ...p, gpu: c.gpu }, integral, method: 'counter', note: null };
  }

  /** Energy of one closed epoch, from raw samples over just its interval. */
  finalizeEpoch(run: RunRow, e: EpochRow): void {
    if (e.ended_at === null) return;
    const devices = this.runs.devices(run.rid);
    const p = energyParts(this.samples, run, devices, [e.started_at, e.ended_at], this.opts(run));
    this.epochs.setAggregate(run.rid, e.epoch, aggregate(this.withCounter(run, devices, p, false).parts, e.started_at, e.ended_at));
  }

  /** Moves the running run's energy prefix forward to `until`, integrating only the new stretch. */
  advancePrefix(run: RunRow, until: number): void {
    const prev: EnergyPrefix = run.energy_prefix ?? { until: run.started_at, gpuJ: 0, ramJ: 0, cpuJ: 0, coveredMs: 0, gaps: 0 };
    if (until <= prev.until) return;
    const p = energyParts(this.samples, run, this.runs.devices(run.rid), [prev.until, until], this.opts(run));
    const next: EnergyPrefix = {
      until,
      gpuJ: prev.gpuJ + (p.gpu[0] ?? 0),
      ramJ: prev.ramJ + (p.ram[0] ?? 0),
      cpuJ: prev.cpuJ === null || p.cpu === null ? null : prev.cpuJ + (p.cpu[0] ?? 0),
      coveredMs: prev.coveredMs + p.gpuCoverage * (until - prev.until),
      // A gap reaching `until` goes on past it: the next stretch (or the tail) counts it.
      gaps: prev.gaps + p.gaps.filter((g) => g.to < until).length,
    };
    this.runs.update(run.rid, { energy_prefix: next });
  }

  /** A running run's energy up to `now`: its prefix plus the open tail (O(tail), not O(run)). */
  live(run: RunRow, now: number): RunEnergy {
    const pre = run.energy_prefix;
    if (!pre) return this.compute(run, now, { live: true }).energy;
    const devices = this.runs.devices(run.rid);
    const tail = energyParts(this.samples, run, devices, [pre.until, Math.max(now, pre.until)], this.opts(run));
    const integralJ = pre.gpuJ + (tail.gpu[0] ?? 0);
    const ramJ = pre.ramJ + (tail.ram[0] ?? 0);
    const span = Math.max(1, now - run.started_at);
    // The counter needs no prefix: two reads per device give the whole run.
    const whole = { ...tail, cuts: [run.started_at, Math.max(now, run.started_at)], gpu: [integralJ] };
    const g = this.withCounter(run, devices, whole, true);
    const gpuJ = g.parts.gpu[0] ?? 0;
    return {
      totalJ: gpuJ + ramJ,
      gpuJ,
      ...gpuFields(g, integralJ, gpuJ),
      ramJ,
      cpuJ: pre.cpuJ === null || tail.cpu === null ? null : pre.cpuJ + (tail.cpu[0] ?? 0),
      gpuCoverage: Math.min(1, (pre.coveredMs + tail.gpuCoverage * (now - pre.until)) / span),
      gaps: tail.gaps,
      // The prefix's gaps are counted here; their stretches are listed once the run is sealed.
      gapCount: pre.gaps + tail.gaps.length,
    };
  }

  /** Whole-run energy up to `until`, split at every epoch boundary; optionally rewrites the epoch aggregates. */
  compute(
    run: RunRow,
    until: number,
    opts: {
      writeEpochs?: boolean;
      live?: boolean;
      /** The GPU integrations for these cuts when already made from the same rows (null: not for these cuts). */
      gpuDone?: (cuts: readonly number[]) => ReadonlyMap<string, Integration> | null;
    } = {},
  ): { energy: RunEnergy; parts: EnergyParts; rewritten: number[] } {
    const epochs = this.epochs.list(run.rid);
    const cutSet = new Set<number>([run.started_at, until]);
    for (const e of epochs) {
      if (e.started_at >= run.started_at && e.started_at <= until) cutSet.add(e.started_at);
      if (e.ended_at !== null && e.ended_at <= until) cutSet.add(e.ended_at);
    }
    const cuts = [...cutSet].sort((a, b) => a - b);
    const devices = this.runs.devices(run.rid);
    const done = opts.gpuDone?.(cuts) ?? null;
    const g = this.withCounter(run, devices, energyParts(this.samples, run, devices, cuts, this.opts(run), done), opts.live === true);
    const parts = g.parts;
    const all = sumWithin(parts, run.started_at, until);
    const integralJ = g.integral.reduce((a, b) => a + b, 0);
    const rewritten: number[] = [];
    if (opts.writeEpochs) {
      for (const e of epochs) {
        if (e.ended_at === null || e.ended_at > until) continue;
        const a = aggregate(parts, e.started_at, e.ended_at);
        // Incremental aggregates normally equal the recomputation; a difference means samples arrived late.
        if (e.energy_j !== null && Math.abs(a.energyJ - e.energy_j) <= 1e-9 * Math.max(1, Math.abs(a.energyJ))) continue;
        if (e.energy_j !== null) rewritten.push(e.epoch);
        this.epochs.setAggregate(run.rid, e.epoch, a);
      }
    }
    return {
      energy: {
        totalJ: all.gpuJ + all.ramJ,
        gpuJ: all.gpuJ,
        ...gpuFields(g, integralJ, all.gpuJ),
        ramJ: all.ramJ,
        cpuJ: all.cpuJ,
        gpuCoverage: parts.gpuCoverage,
        gaps: parts.gaps,
      },
      parts,
      rewritten,
    };
  }
}

interface GpuFigures {
  parts: EnergyParts;
  /** ∫ power.draw per cut interval. */
  integral: number[];
  method: 'counter' | 'integral';
  note: string | null;
}

function gpuFields(g: GpuFigures, integralJ: number, gpuJ: number): Pick<RunEnergy, 'gpuMethod' | 'gpuCounterJ' | 'gpuIntegralJ' | 'gpuNote'> {
  return { gpuMethod: g.method, gpuCounterJ: g.method === 'counter' ? gpuJ : null, gpuIntegralJ: integralJ, gpuNote: g.note };
}

function aggregate(p: EnergyParts, a: number, b: number) {
  const s = sumWithin(p, a, b);
  const energyJ = s.gpuJ + s.ramJ;
  const durS = (b - a) / 1000;
  return { energyJ, gpuJ: s.gpuJ, ramJ: s.ramJ, cpuJ: s.cpuJ, avgPowerW: durS > 0 ? energyJ / durS : null };
}
