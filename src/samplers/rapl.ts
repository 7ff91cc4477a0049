import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProfilerError } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import { periodicSampler } from './periodic.js';
import type { PeriodicSampler, SamplerFactory } from './types.js';

export interface RaplReading {
  t: number;
  /** Joules used by all CPU packages since the reader was created. */
  energyJ: number;
}

export interface RaplReader {
  /** False when no package counter can be read; read() then always returns null (never a TDP guess). */
  readonly available: boolean;
  /** Why the reader is unavailable, or why the latest read() failed; null when all is well. */
  readonly reason: string | null;
  /** The package zone folders summed, e.g. ["intel-rapl:0", "intel-rapl:1"]. */
  readonly zones: string[];
  read(): RaplReading | null;
}

export interface RaplReaderOptions {
  powercapRoot?: string;
  now?: () => number;
  /** Replaces readFileSync(path, 'utf8'), so tests can simulate EACCES even when they run as root. */
  readText?: (path: string) => string;
}

interface Zone {
  dir: string;
  maxUj: number;
  prevUj: number;
}

/** An unreadable or implausible counter: RAPL is then reported unavailable, never a crash. */
class RaplError extends ProfilerError {
  constructor(message: string) {
    super('PROF_ERR_IO', message, 500);
  }
}

// Top-level zones only: subzones (intel-rapl:0:0 core, :1 uncore, :2 dram) are already inside their package,
// and intel-rapl-mmio:N repeats package N through MMIO. AMD (kernel >= 5.8) registers under the same names.
const TOP_LEVEL = /^intel-rapl:\d+$/;

function describe(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return (
      `${file} is not readable (${code}): energy_uj is root-only on many distributions since the 2020 ` +
      'PLATYPUS fix (CVE-2020-8694); run as root or grant read access (e.g. a udev rule)'
    );
  }
  return `${file} could not be read: ${code ?? (err as Error)?.message ?? String(err)}`;
}

export function createRaplReader(opts: RaplReaderOptions = {}): RaplReader {
  const root = opts.powercapRoot ?? '/sys/class/powercap';
  const now = opts.now ?? Date.now;
  const readText = opts.readText ?? ((p: string) => readFileSync(p, 'utf8'));

  const readFile = (file: string): string => {
    try {
      return readText(file);
    } catch (err) {
      throw new RaplError(describe(file, err));
    }
  };
  const readUj = (file: string): number => {
    const text = readFile(file).trim();
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new RaplError(`${file} does not hold a non-negative integer: ${JSON.stringify(text.slice(0, 40))}`);
    }
    return Number(text);
  };
  const readCounter = (z: Zone): number => {
    const file = join(root, z.dir, 'energy_uj');
    const uj = readUj(file);
    if (uj > z.maxUj) throw new RaplError(`${file} = ${uj} exceeds max_energy_range_uj ${z.maxUj}`);
    return uj;
  };

  const discover = (): Zone[] => {
    let entries: string[];
    try {
      entries = readdirSync(root);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new RaplError(`no powercap folder at ${root} (no RAPL driver loaded, or not Linux)`);
      throw new RaplError(describe(root, err));
    }
    const zones: Zone[] = [];
    for (const dir of entries.filter((e) => TOP_LEVEL.test(e)).sort()) {
      // psys (platform energy) is a top-level zone too, but it already includes the packages
      if (!readFile(join(root, dir, 'name')).trim().startsWith('package')) continue;
      const maxUj = readUj(join(root, dir, 'max_energy_range_uj'));
      if (maxUj <= 0) throw new RaplError(`${join(root, dir, 'max_energy_range_uj')} is 0: wraparound cannot be handled`);
      const zone = { dir, maxUj, prevUj: 0 };
      zone.prevUj = readCounter(zone);
      zones.push(zone);
    }
    if (zones.length === 0) throw new RaplError(`no RAPL package zones (intel-rapl:N named package-*) under ${root}`);
    return zones;
  };

  let zones: Zone[] = [];
  let available = true;
  let reason: string | null = null;
  try {
    zones = discover();
  } catch (err) {
    if (!(err instanceof RaplError)) throw err;
    available = false;
    reason = err.message;
  }
  let totalUj = 0;

  return {
    get available() {
      return available;
    },
    get reason() {
      return reason;
    },
    get zones() {
      return zones.map((z) => z.dir);
    },
    read(): RaplReading | null {
      if (!available) return null;
      const t = now();
      let current: number[];
      try {
        current = zones.map(readCounter);
      } catch (err) {
        if (!(err instanceof RaplError)) throw err;
        reason = err.message; // keep the previous counters: the next good read spans the gap
        return null;
      }
      zones.forEach((z, i) => {
        const cur = current[i] as number;
        // a counter that went down wrapped once (ranges are 65-262 kJ: minutes at full power; we read far faster)
        totalUj += cur >= z.prevUj ? cur - z.prevUj : z.maxUj - z.prevUj + cur;
        z.prevUj = cur;
      });
      reason = null;
      return { t, energyJ: totalUj / 1e6 };
    },
  };
}

/** CPU package energy (cumulative since the daemon started) once per tick; `unavailable` where no counter is readable. */
export function createRaplSampler(o: { clock: Clock; powercapRoot?: string; readText?: (path: string) => string }): PeriodicSampler {
  const reader = createRaplReader({ powercapRoot: o.powercapRoot, now: () => o.clock.now(), readText: o.readText });
  return periodicSampler({
    name: 'rapl',
    unavailable: reader.available ? null : `CPU energy (RAPL) not measured: ${reader.reason ?? 'no counter'}`,
    async read() {
      const r = reader.read();
      if (!r) throw new ProfilerError('PROF_ERR_IO', reader.reason ?? 'RAPL counters could not be read', 500);
      return { kind: 'cpu-energy', t: r.t, energyJ: r.energyJ };
    },
  });
}

export const raplSampler: SamplerFactory = {
  name: 'rapl',
  create: (ctx) => createRaplSampler({ clock: ctx.clock, powercapRoot: ctx.cfg.powercapRoot }),
};
