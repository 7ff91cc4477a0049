import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { SamplingService } from '../../../src/daemon/sampling.js';
import { periodicSampler } from '../../../src/samplers/periodic.js';
import type { GpuEnergySample, GpuSample, PeriodicSampler, Reading, Sampler, SamplerContext, SamplerFactory } from '../../../src/samplers/types.js';
import type { HostRow, ProcRow } from '../../../src/store/samples.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

/** A store that keeps what the loop writes, in memory. */
export class MemStore {
  gpu: GpuSample[] = [];
  proc: ProcRow[] = [];
  host: HostRow[] = [];
  energy: GpuEnergySample[] = [];
  flushes = 0;
  addGpu(s: readonly GpuSample[]): void {
    this.gpu.push(...s);
  }
  addGpuEnergy(s: readonly GpuEnergySample[]): void {
    this.energy.push(...s);
  }
  addProc(r: ProcRow): void {
    this.proc.push(r);
  }
  addHost(r: HostRow): void {
    this.host.push(r);
  }
  flush(): number {
    this.flushes++;
    return 0;
  }
}

export interface LogLine {
  level: number;
  msg: string;
  sampler?: string;
  state?: string;
  message?: string | null;
}

export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({ env: { PROFILER_HOME: '/nonexistent/profiler-test-home' }, overrides: { processSampleMs: 1000, ...overrides } });
}

/** A factory for a sampler built by the test (it gets the loop's context). */
export function factory(name: string, create: (ctx: SamplerContext) => Sampler): SamplerFactory {
  return { name, create };
}

/** A periodic sampler whose reads the test scripts: each call runs `read(n)` (n = 1, 2, …). */
export function scripted(name: string, read: (n: number, ctx: SamplerContext) => Promise<Reading | null>): SamplerFactory & { calls: number } {
  const f = {
    name,
    calls: 0,
    create(ctx: SamplerContext): PeriodicSampler {
      return periodicSampler({ name, read: () => read(++f.calls, ctx) });
    },
  };
  return f;
}

export const memReading = (t: number): Reading => ({ kind: 'host-memory', t, totalBytes: 100, usedBytes: 40 });

/** A SamplingService on a FakeScheduler with the given samplers, an in-memory store and a captured log. */
export function harness(samplers: SamplerFactory[], o: { cfg?: Record<string, unknown>; tickTimeoutMs?: number } = {}) {
  const clock = new FakeScheduler();
  const store = new MemStore();
  const logs: LogLine[] = [];
  const orphans: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void logs.push(JSON.parse(s) as LogLine) });
  const sampling = new SamplingService({
    cfg: testConfig(o.cfg), log, store, clock, scheduler: clock, samplers, tickTimeoutMs: o.tickTimeoutMs,
    onOrphan: (id) => orphans.push(id),
  });
  const healthOf = (name: string) => sampling.health().find((h) => h.name === name);
  const warnings = (name: string) => logs.filter((l) => l.level === 40 && l.sampler === name);
  return { clock, store, logs, orphans, sampling, healthOf, warnings };
}
