import { META_FEATURES, parseFeature, type OfflineFeatures, type OfflineRun } from '../analysis/offline.js';
import { gpuSpecByName, knownGpuSpecs, type GpuSpec } from '../config/gpus.js';
import { hasCode } from '../errors.js';
import type { RunRow } from '../store/runs.js';
import type { RunSet } from './open.js';

/** Bytes per "GB" of the ram_gb feature: GiB, so a 64 GiB host reads about 64 (the kernel's total is a little less). */
export const RAM_GB_BYTES = 2 ** 30;

/** A finished run left out of the offline training set, and why. */
export interface OfflineSkip {
  id: string;
  name: string | null;
  missing: string[];
}

export interface OfflineCorpus {
  runs: OfflineRun[];
  skipped: OfflineSkip[];
}

/** The GPU features of a run: `--meta gpu=NAME`, else its devices' names (several GPUs add up). */
function gpuFeatures(set: RunSet, row: RunRow, specs: GpuSpec[]): Pick<OfflineFeatures, 'gpu_cuda_cores' | 'gpu_memory_gb' | 'gpu_tdp_w'> | string {
  const names = row.meta.gpu !== undefined ? [row.meta.gpu] : set.runs.devices(row.rid).map((d) => d.name ?? '');
  if (names.length === 0) return 'gpu (no GPU recorded: --meta gpu=NAME)';
  const out = { gpu_cuda_cores: 0, gpu_memory_gb: 0, gpu_tdp_w: 0 };
  for (const n of names) {
    let s: GpuSpec;
    try {
      s = gpuSpecByName(n, specs);
    } catch (err) {
      if (hasCode(err, 'PROF_ERR_INVALID')) return `gpu ("${n}" is not in config/gpus.json)`;
      throw err;
    }
    out.gpu_cuda_cores += s.cudaCores;
    out.gpu_memory_gb += s.memGB;
    out.gpu_tdp_w += s.tdpW;
  }
  return out;
}

/**
 * What a finished run offers the offline estimators: GPU features from config/gpus.json by device name, total RAM
 * from the host samples (or `--meta ram_gb=`), the rest from its `--meta` values. Runs still running or failed are
 * not considered; a run with a missing or bad value is listed in `skipped` with what it lacks.
 */
export function offlineCorpus(set: RunSet): OfflineCorpus {
  const specs = knownGpuSpecs();
  const runs: OfflineRun[] = [];
  const skipped: OfflineSkip[] = [];
  for (const row of set.runs.list()) {
    if (row.status === 'running' || row.status === 'failed' || row.ended_at === null || row.energy === null) continue;
    const missing: string[] = [];
    const gpu = gpuFeatures(set, row, specs);
    if (typeof gpu === 'string') missing.push(gpu);
    const value = (key: 'ram_gb' | (typeof META_FEATURES)[number], fallback: number | null): number | null => {
      const raw = row.meta[key];
      if (raw === undefined) {
        if (fallback === null) missing.push(key);
        return fallback;
      }
      try {
        return parseFeature(key, raw);
      } catch {
        missing.push(`${key} ("${raw}" is not a valid value)`);
        return null;
      }
    };
    const hostRam = set.reader.hostMemTotal(row.started_at, row.ended_at);
    const ram = value('ram_gb', hostRam === null ? null : hostRam / RAM_GB_BYTES);
    const [gflops, train, val, batch, input] = META_FEATURES.map((k) => value(k, null));
    if (typeof gpu === 'string' || ram === null || gflops == null || train == null || val == null || batch == null || input == null) {
      skipped.push({ id: row.id, name: row.name, missing });
      continue;
    }
    const epochs = set.epochs.list(row.rid).filter((e) => e.ended_at !== null && e.energy_j !== null);
    runs.push({
      id: row.id,
      features: { ...gpu, ram_gb: ram, gflops, train_samples: train, val_samples: val, batch_size: batch, input_size: input },
      measuredJ: row.energy.totalJ,
      durationS: (row.ended_at - row.started_at) / 1000,
      epochs: epochs.length > 0 ? epochs.length : null,
      meanEpochJ: epochs.length > 0 ? epochs.reduce((a, e) => a + (e.energy_j as number), 0) / epochs.length : null,
    });
  }
  return { runs, skipped };
}
