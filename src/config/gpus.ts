import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalid } from '../errors.js';
import { packageRoot } from '../platform/paths.js';

/** One known GPU model of config/gpus.json. */
export interface GpuSpec {
  /** The key it is listed under. */
  model: string;
  tdpW: number;
  memGB: number;
  cudaCores: number;
}

let cache: GpuSpec[] | null = null;

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** config/gpus.json's models, longest key first; a malformed entry is PROF_ERR_INVALID naming it. */
export function knownGpuSpecs(file?: string): GpuSpec[] {
  if (file === undefined && cache) return cache;
  const path = file ?? join(packageRoot(), 'config', 'gpus.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw invalid(`cannot read the GPU list ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`${path}: the GPU list must be a JSON object`);
  const specs = Object.entries(raw).filter(([k]) => !k.startsWith('_')).map(([model, v]): GpuSpec => {
    const e: Record<string, unknown> = typeof v === 'object' && v !== null ? { ...v } : {};
    if (!positive(e.tdpW) || !positive(e.memGB) || !positive(e.cudaCores)) {
      throw invalid(`${path}: "${model}" needs positive tdpW, memGB and cudaCores`);
    }
    return { model, tdpW: e.tdpW, memGB: e.memGB, cudaCores: e.cudaCores };
  }).sort((a, b) => b.model.length - a.model.length);
  if (file === undefined) cache = specs;
  return specs;
}

const norm = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim();

/** `part` inside `whole` as whole words ("a10" is not in "a100 80gb", "l4" not in "l40s"). */
const holds = (whole: string, part: string): boolean => {
  const i = whole.indexOf(part);
  if (i < 0) return false;
  const edge = (c: string | undefined): boolean => c === undefined || !/[a-z0-9]/.test(c);
  return (edge(whole[i - 1]) && edge(whole[i + part.length])) || holds(whole.slice(i + 1), part);
};

/**
 * The model a GPU name denotes: an exact key, else the one key that holds it ("T4"), else the longest key inside
 * it (a device name such as "NVIDIA GeForce RTX 3090"), as whole words. Unknown or ambiguous: PROF_ERR_INVALID.
 */
export function gpuSpecByName(name: string, specs: GpuSpec[] = knownGpuSpecs()): GpuSpec {
  const n = norm(name);
  if (n === '') throw invalid('the GPU name is empty');
  const exact = specs.find((s) => norm(s.model) === n);
  if (exact) return exact;
  const around = specs.filter((s) => holds(norm(s.model), n));
  if (around.length === 1) return around[0] as GpuSpec;
  if (around.length > 1) throw invalid(`GPU "${name}" is ambiguous: say which of ${around.map((s) => `"${s.model}"`).join(', ')}`);
  const inside = specs.find((s) => holds(n, norm(s.model)));
  if (inside) return inside;
  throw invalid(`unknown GPU "${name}": config/gpus.json knows ${specs.map((s) => `"${s.model}"`).join(', ')}`);
}

/** The model of a device name ("NVIDIA GeForce RTX 3090"): the longest key inside it as whole words; null if none. */
export function gpuSpecOfDevice(name: string, specs: GpuSpec[] = knownGpuSpecs()): GpuSpec | null {
  const n = norm(name);
  return specs.find((s) => holds(n, norm(s.model))) ?? null;
}
