import type { DeviceRow } from '../store/runs.js';

export type GpuSource = 'cuda_visible' | 'flag' | 'compute_apps' | 'all';

/**
 * Maps a CUDA_VISIBLE_DEVICES-style list (indices, GPU-… or MIG-… UUIDs, unique UUID prefixes) to known devices.
 * Indices are read in nvidia-smi (PCI bus) order. Returns the matched devices and what could not be matched.
 */
export function matchGpuList(list: string, devices: DeviceRow[]): { devices: DeviceRow[]; unmatched: string[] } {
  const out = new Map<number, DeviceRow>();
  const unmatched: string[] = [];
  const items = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const item of items) {
    // CUDA stops at the first invalid entry (e.g. -1): nothing after it is visible.
    if (/^-\d+$/.test(item) || item === 'NoDevFiles') break;
    const found = matchOne(item, devices);
    if (found) out.set(found.id, found);
    else unmatched.push(item);
  }
  return { devices: [...out.values()], unmatched };
}

function matchOne(item: string, devices: DeviceRow[]): DeviceRow | undefined {
  if (/^\d+$/.test(item)) return devices.find((d) => d.idx === Number(item));
  const lower = item.toLowerCase();
  if (lower.startsWith('mig-')) {
    return devices.find((d) => d.mig_uuids.some((m) => m.toLowerCase().startsWith(lower)));
  }
  const prefix = lower.startsWith('gpu-') ? lower : `gpu-${lower}`;
  const hits = devices.filter((d) => d.uuid.toLowerCase().startsWith(prefix));
  return hits.length === 1 ? hits[0] : undefined;
}
