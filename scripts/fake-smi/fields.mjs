// Query fields the fake nvidia-smi answers, with nvidia-smi's header names, units and plausible derived values.
import { energyBetween, powerAt } from './profile.mjs';

export const DRIVER_VERSION = '550.54.15';
export const OLD_DRIVER_VERSION = '525.147.05';
export const CUDA_VERSION = '12.4';

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** nvidia-smi's timestamp: `YYYY/MM/DD HH:MM:SS.mmm`, local time, no zone. */
export function formatTimestamp(ms) {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

const clamp01 = (x) => Math.min(1, Math.max(0, x));

/** Everything one GPU reports at one instant, derived from the profile's power. */
export function gpuState(profile, index, tMs) {
  const gpu = profile.gpus[index];
  const p = powerAt(gpu, tMs, profile.t0);
  const frac = clamp01(p / gpu.powerLimitW);
  const util = Math.round(100 * clamp01(frac / 0.8));
  const memUsed = Math.round(gpu.memTotalMiB * (0.01 + 0.6 * frac));
  return {
    gpu,
    index,
    t: tMs,
    powerW: p,
    powerAvgW: energyBetween(gpu, tMs - 1000, tMs, profile.t0),
    util,
    utilMem: Math.round(util * 0.45),
    memUsed,
    memFree: gpu.memTotalMiB - memUsed,
    tempC: Math.round(32 + 45 * frac),
    smClock: Math.round(210 + 1200 * frac),
    memClock: frac > 0.2 ? 1593 : 405,
    pstate: frac > 0.2 ? 'P0' : 'P8',
    busId: `00000000:${pad((index + 1).toString(16).toUpperCase())}:00.0`,
  };
}

const w = (v) => v.toFixed(2);
const G = (header, unit, value) => ({ header, unit, value });

/** --query-gpu field → { header, unit, value(state, ctx) }; aliases share an entry. */
export const GPU_FIELDS = {
  timestamp: G('timestamp', null, (s) => formatTimestamp(s.t)),
  driver_version: G('driver_version', null, (s, c) => c.driverVersion),
  count: G('count', null, (s, c) => String(c.count)),
  name: G('name', null, (s) => s.gpu.name),
  uuid: G('uuid', null, (s) => s.gpu.uuid),
  index: G('index', null, (s) => String(s.index)),
  'pci.bus_id': G('pci.bus_id', null, (s) => s.busId),
  persistence_mode: G('persistence_mode', null, () => 'Enabled'),
  pstate: G('pstate', null, (s) => s.pstate),
  'fan.speed': G('fan.speed', '%', () => '[N/A]'),
  'power.management': G('power.management', null, () => 'Enabled'),
  'power.draw': G('power.draw', 'W', (s) => w(s.powerW)),
  'power.draw.average': G('power.draw.average', 'W', (s) => w(s.powerAvgW)),
  'power.draw.instant': G('power.draw.instant', 'W', (s) => w(s.powerW)),
  'power.limit': G('power.limit', 'W', (s) => w(s.gpu.powerLimitW)),
  'enforced.power.limit': G('enforced.power.limit', 'W', (s) => w(s.gpu.powerLimitW)),
  'power.default_limit': G('power.default_limit', 'W', (s) => w(s.gpu.powerLimitW)),
  'power.min_limit': G('power.min_limit', 'W', (s) => w(s.gpu.powerLimitW * 0.25)),
  'power.max_limit': G('power.max_limit', 'W', (s) => w(s.gpu.powerLimitW)),
  'utilization.gpu': G('utilization.gpu', '%', (s) => String(s.util)),
  'utilization.memory': G('utilization.memory', '%', (s) => String(s.utilMem)),
  'memory.total': G('memory.total', 'MiB', (s) => String(s.gpu.memTotalMiB)),
  'memory.used': G('memory.used', 'MiB', (s) => String(s.memUsed)),
  'memory.free': G('memory.free', 'MiB', (s) => String(s.memFree)),
  'temperature.gpu': G('temperature.gpu', null, (s) => String(s.tempC)),
  'clocks.current.sm': G('clocks.current.sm', 'MHz', (s) => String(s.smClock)),
  'clocks.current.graphics': G('clocks.current.graphics', 'MHz', (s) => String(s.smClock)),
  'clocks.current.memory': G('clocks.current.memory', 'MHz', (s) => String(s.memClock)),
  'clocks.max.sm': G('clocks.max.sm', 'MHz', () => '1410'),
  'mig.mode.current': G('mig.mode.current', null, (s) => (s.gpu.migUuids?.length ? 'Enabled' : 'Disabled')),
};
const GPU_ALIASES = {
  gpu_name: 'name',
  gpu_uuid: 'uuid',
  gpu_bus_id: 'pci.bus_id',
  'clocks.sm': 'clocks.current.sm',
  'clocks.gr': 'clocks.current.graphics',
  'clocks.mem': 'clocks.current.memory',
  'power.draw.avg': 'power.draw.average',
};

/** Fields a pre-530 driver does not know. */
export const NEW_DRIVER_ONLY = new Set(['power.draw.average', 'power.draw.instant']);

/** Resolves requested names; returns { entries } or { invalid: firstUnknownName }. */
export function resolveGpuFields(names, oldDriver) {
  const entries = [];
  for (const n of names) {
    const key = GPU_ALIASES[n] ?? n;
    const e = GPU_FIELDS[key];
    if (!e || (oldDriver && NEW_DRIVER_ONLY.has(key))) return { invalid: n };
    entries.push(e);
  }
  return { entries };
}

/** --query-compute-apps fields; each value(app, gpuState, t). */
export const APP_FIELDS = {
  timestamp: G('timestamp', null, (a, s, t) => formatTimestamp(t)),
  gpu_name: G('gpu_name', null, (a, s) => s?.gpu.name ?? '[N/A]'),
  gpu_bus_id: G('gpu_bus_id', null, (a, s) => s?.busId ?? '[N/A]'),
  gpu_uuid: G('gpu_uuid', null, (a) => a.gpuUuid),
  pid: G('pid', null, (a) => String(a.pid)),
  process_name: G('process_name', null, (a) => a.name ?? 'python3'),
  name: G('process_name', null, (a) => a.name ?? 'python3'),
  used_gpu_memory: G('used_gpu_memory', 'MiB', (a) => (a.usedMiB == null ? '[N/A]' : String(a.usedMiB))),
  used_memory: G('used_gpu_memory', 'MiB', (a) => (a.usedMiB == null ? '[N/A]' : String(a.usedMiB))),
};

/** Formats one CSV header or row the way nvidia-smi does: `, ` separators, ` [unit]` in headers. */
export function csvHeader(entries) {
  return entries.map((e) => (e.unit ? `${e.header} [${e.unit}]` : e.header)).join(', ');
}
export function csvRow(entries, values, units) {
  return values
    .map((v, i) => {
      const unit = entries[i].unit;
      return units && unit && !v.startsWith('[') ? `${v} ${unit}` : v;
    })
    .join(', ');
}
