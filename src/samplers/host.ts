import { readFileSync } from 'node:fs';
import { ProfilerError } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import { periodicSampler } from './periodic.js';
import type { PeriodicSampler, SamplerFactory } from './types.js';

export interface SystemMemory {
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
}

/** The subset of systeminformation's `mem()` result we rely on. */
export type MemSource = () => Promise<{ total: number; available: number }>;

/** MemTotal and MemAvailable of a `/proc/meminfo` text, in bytes; null where either is missing. */
const MEM_TOTAL_RE = /^MemTotal:\s+(\d+) kB$/m;
const MEM_AVAILABLE_RE = /^MemAvailable:\s+(\d+) kB$/m;

export function parseMeminfo(text: string): { total: number; available: number } | null {
  const total = MEM_TOTAL_RE.exec(text);
  const available = MEM_AVAILABLE_RE.exec(text);
  return total && available ? { total: Number(total[1]) * 1024, available: Number(available[1]) * 1024 } : null;
}

/**
 * `/proc/meminfo` where there is one (what systeminformation reads on Linux, without its 9 MB of modules in the
 * daemon's RSS, measured), else systeminformation, loaded on first use.
 */
const defaultSource: MemSource = async () => {
  let m: { total: number; available: number } | null = null;
  try {
    m = parseMeminfo(readFileSync('/proc/meminfo', 'utf8')); // procfs: microseconds, cheaper synchronous (process-tree.ts)
  } catch {
    // not Linux
  }
  if (m !== null) return m;
  const si = (await import('systeminformation')).default;
  return si.mem();
};

/**
 * System memory in bytes. used = total − available: systeminformation's own `used` is total − free, which counts
 * page cache and reclaimable slab as used; MemAvailable is the kernel's estimate of what can be had without swapping.
 */
export async function readSystemMemory(source: MemSource = defaultSource): Promise<SystemMemory> {
  let m: { total: number; available: number };
  try {
    m = await source();
  } catch (cause) {
    throw new ProfilerError('PROF_ERR_HOST_MEMORY', 'could not read system memory', 500, { cause });
  }
  const total = m?.total;
  const available = m?.available;
  if (
    typeof total !== 'number' ||
    typeof available !== 'number' ||
    !Number.isFinite(total) ||
    !Number.isFinite(available) ||
    total <= 0 ||
    available < 0 ||
    available > total
  ) {
    throw new ProfilerError(
      'PROF_ERR_HOST_MEMORY',
      `system memory reading is not plausible: total=${String(total)} available=${String(available)}`,
      500,
    );
  }
  return { totalBytes: total, usedBytes: total - available, availableBytes: available };
}

/** Host memory (total, used) once per tick; a failed read is reported in its health, the tick stores nulls. */
export function createHostMemorySampler(o: { clock: Clock; source?: MemSource }): PeriodicSampler {
  return periodicSampler({
    name: 'host-memory',
    async read() {
      const t = o.clock.now();
      const m = await readSystemMemory(o.source);
      return { kind: 'host-memory', t, totalBytes: m.totalBytes, usedBytes: m.usedBytes };
    },
  });
}

export const hostMemorySampler: SamplerFactory = {
  name: 'host-memory',
  create: (ctx) => createHostMemorySampler({ clock: ctx.clock }),
};

/** Bytes in the study's "MB": psutil RSS divided by 1024 × 1024. */
const MIB = 1024 * 1024;

/**
 * RAM power of a process tree, as the study modelled it: 3.75e-4 W per MB of RSS, with MB = 2^20 bytes
 * (psutil bytes / 1024 / 1024). wPerGB is per 1000 such MB (0.375 W/GB), so W = rssBytes / 2^20 × wPerGB / 1000.
 */
export function ramPowerW(rssBytes: number, wPerGB = 0.375): number {
  if (!Number.isFinite(rssBytes) || rssBytes < 0) {
    throw new ProfilerError('PROF_ERR_INVALID', `rssBytes must be a finite number >= 0, got ${String(rssBytes)}`);
  }
  if (!Number.isFinite(wPerGB) || wPerGB < 0) {
    throw new ProfilerError('PROF_ERR_INVALID', `wPerGB must be a finite number >= 0, got ${String(wPerGB)}`);
  }
  return ((rssBytes / MIB) * wPerGB) / 1000;
}
