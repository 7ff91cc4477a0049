import { STUDY_GPU_HEADER } from '../import/gpu-csv.js';
import { formatLocal } from '../import/timestamps.js';
import type { EpochRow } from '../store/epochs.js';
import type { DeviceRow } from '../store/runs.js';
import type { GpuReading } from './rows.js';

const NA = '[N/A]';
const fmt = (v: number | null, unit: string, digits = 0): string => (v === null ? NA : `${v.toFixed(digits)} ${unit}`);

/** One GPU row the way the study's logs read: `2022-12-05 15:00:16.247,NVIDIA …,0 %,0 %,24268 MiB,…,10.11 W,350.00 W,31`. */
export function studyGpuLine(r: GpuReading, d: DeviceRow): string {
  const maxLimit = d.max_power_limit_w ?? d.power_limit_w;
  return [
    formatLocal(r.t), (d.name ?? d.uuid).replace(/,/g, ' '), fmt(r.utilGpuPct, '%'), fmt(r.utilMemPct, '%'),
    fmt(d.mem_total_mib, 'MiB'), fmt(r.memUsedMiB, 'MiB'), fmt(r.powerW, 'W', 2), fmt(maxLimit, 'W', 2),
    r.tempC === null ? NA : String(r.tempC),
  ].join(',');
}

/** The study's nvidia-smi log of one device, from that device's rows. */
export async function* studyGpuCsv(rows: Iterable<GpuReading>, d: DeviceRow): AsyncGenerator<string> {
  let buf = STUDY_GPU_HEADER + '\n';
  let n = 0;
  for (const r of rows) {
    buf += studyGpuLine(r, d) + '\n';
    if (++n % 2000 === 0) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** The study's Keras callback log: `epoch,end_time`, 0-based epoch, Python `str(datetime.now())` times. */
export async function* studyEpochCsv(epochs: EpochRow[]): AsyncGenerator<string> {
  let buf = 'epoch,end_time\n';
  for (const e of epochs) {
    if (e.ended_at === null) continue;
    buf += `${e.printed ?? e.epoch - 1},${formatLocal(e.ended_at, ' ', 6)}\n`;
  }
  yield buf;
}

/** The study's psutil log: `timestamp,cpu usage (%),memory usage (MB),temperature (Celsius)` (MB = 2^20 bytes). */
export async function* studyMemCsv(rows: Iterable<{ t: number; rss_bytes: number; cpu_pct: number }>): AsyncGenerator<string> {
  let buf = 'timestamp,cpu usage (%),memory usage (MB),temperature (Celsius)\n';
  let n = 0;
  for (const r of rows) {
    buf += `${formatLocal(r.t, 'T', 6)},${r.cpu_pct.toFixed(3)},${(r.rss_bytes / 1048576).toFixed(3)},None\n`;
    if (++n % 2000 === 0) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}
