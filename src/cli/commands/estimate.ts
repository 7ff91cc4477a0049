import { parseArgs } from 'node:util';
import { estimateOffline, greenAlgorithmsOffline, META_FEATURES, parseFeature, type OfflineFeatures } from '../../analysis/offline.js';
import { gpuSpecByName } from '../../config/gpus.js';
import type { Config } from '../../config/schema.js';
import { invalid, usage } from '../../errors.js';
import { offlineCorpus, RAM_GB_BYTES } from '../../runs/offline.js';
import { withRunSet } from '../../runs/open.js';
import { readGpuInventory } from '../../samplers/gpu-inventory.js';
import { readSystemMemory } from '../../samplers/host.js';
import { fmtDuration, fmtJ } from '../format.js';
import { argError } from '../help.js';

export const ESTIMATE_HELP = `Usage: profiler estimate --gflops X --train-samples N --val-samples N --batch-size N --input-size N
         [--gpu NAME]… [--ram-gb G] [--duration D] [--epochs N]
         [--gpu-usage U] [--cpu-cores N --cpu-core-w W] [--cpu-usage U] [--pue P] [--json]
  The study's offline estimates, from kernel ridge regression on your finished runs that carry the same features
  (profiler run --meta gflops=… --meta train_samples=… …): expected mean power (× --duration) and mean epoch
  energy (× --epochs), with the Green Algorithms figure beside them. --gpu defaults to this machine's first GPU,
  --ram-gb to its total RAM. D: seconds, or with s, m or h (90m, 2.5h).

Options:
  --gflops … --input-size   the run's features, as profiler run --meta stores them (required)
  --gpu NAME                a GPU of config/gpus.json (repeatable); --ram-gb G the RAM
  --duration D, --epochs N  what to multiply the mean power and epoch energy by
  --gpu-usage, --cpu-cores, --cpu-core-w, --cpu-usage, --pue   the Green Algorithms inputs
  --json                    the estimate as JSON
  -h, --help                this help

Example:
  profiler estimate --gflops 4.1 --train-samples 50000 --val-samples 10000 --batch-size 128 --input-size 3072 --epochs 30`;
const HELP = ESTIMATE_HELP;

const FLAG = (k: string): string => k.replace(/_/g, '-');

/** "3600", "90m", "2.5h" → seconds; anything else (negative, zero, words) is PROF_ERR_INVALID. */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|min|h)?$/.exec(raw.trim());
  const v = m ? Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' || m[2] === 'min' ? 60 : 1) : NaN;
  if (!Number.isFinite(v) || v <= 0) throw invalid(`--duration must be a positive time such as 3600, 90m or 2.5h, got "${raw}"`);
  return v;
}

const number = (flag: string, raw: string | undefined, fallback: number, max = Infinity): number => {
  if (raw === undefined) return fallback;
  const v = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || v > max) throw invalid(`--${flag} must be a number${max < Infinity ? ` from 0 to ${max}` : ' >= 0'}, got "${raw}"`);
  return v;
};

/** The GPU features of the named GPUs (summed), else of this machine's first GPU. */
async function gpuFeatures(cfg: Config, names: string[]): Promise<{ names: string[]; cores: number; memGB: number; tdpW: number }> {
  if (names.length === 0) {
    const inv = await readGpuInventory({ command: cfg.nvidiaSmi, timeoutMs: cfg.inventoryTimeoutMs });
    const local = inv.devices[0]?.name;
    if (local === undefined) throw invalid(`no --gpu given and no local GPU found (${inv.warnings.join('; ') || 'nvidia-smi listed none'}): give --gpu NAME`);
    names = [local];
  }
  const specs = names.map((n) => gpuSpecByName(n));
  return {
    names: specs.map((s) => s.model),
    cores: specs.reduce((a, s) => a + s.cudaCores, 0),
    memGB: specs.reduce((a, s) => a + s.memGB, 0),
    tdpW: specs.reduce((a, s) => a + s.tdpW, 0),
  };
}

/** `profiler estimate …`: what a planned training run will cost, before it starts. */
export async function estimateCommand(cfg: Config, argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const str = { type: 'string' as const };
  // "--batch-size -32" would read as a flag: join a negative number to its option, so the value's own check answers.
  argv = argv.flatMap((a, i) => (/^-\d/.test(argv[i + 1] ?? '') && /^--[a-z-]+$/.test(a) ? [`${a}=${argv[i + 1]}`] : /^-\d/.test(a) && /^--[a-z-]+$/.test(argv[i - 1] ?? '') ? [] : [a]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false }, gpu: { type: 'string', multiple: true }, 'ram-gb': str, duration: str, epochs: str,
        'gpu-usage': str, 'cpu-cores': str, 'cpu-core-w': str, 'cpu-usage': str, pue: str,
        ...Object.fromEntries(META_FEATURES.map((k) => [FLAG(k), str])),
      },
    });
  } catch (err) {
    throw argError(err, HELP, 'estimate');
  }
  const v: Record<string, string | boolean | string[] | undefined> = parsed.values;
  const text = (k: string): string | undefined => {
    const t = v[k];
    return typeof t === 'string' ? t : undefined;
  };
  const missing = META_FEATURES.filter((k) => text(FLAG(k)) === undefined);
  if (missing.length > 0) throw usage(`profiler estimate: give ${missing.map((k) => `--${FLAG(k)}`).join(', ')}\n${HELP}`);
  const feature = (k: (typeof META_FEATURES)[number]): number => parseFeature(k, text(FLAG(k)) ?? '');
  const ramRaw = text('ram-gb');
  const ramGB = ramRaw !== undefined ? parseFeature('ram_gb', ramRaw) : (await readSystemMemory()).totalBytes / RAM_GB_BYTES;
  const durationRaw = text('duration');
  const durationS = durationRaw === undefined ? null : parseDuration(durationRaw);
  const epochsRaw = text('epochs');
  if (epochsRaw !== undefined && (!/^\d+$/.test(epochsRaw.trim()) || Number(epochsRaw) < 1)) throw invalid(`--epochs must be a positive integer, got "${epochsRaw}"`);
  const epochs = epochsRaw === undefined ? null : Number(epochsRaw);
  const gpu = await gpuFeatures(cfg, parsed.values.gpu ?? []);
  const cpuCores = number('cpu-cores', text('cpu-cores'), 0);
  if (cpuCores > 0 && text('cpu-core-w') === undefined) throw usage('--cpu-cores needs --cpu-core-w W (the power of one core: the CPU\'s TDP / its cores)');
  const features: OfflineFeatures = {
    gpu_cuda_cores: gpu.cores, gpu_memory_gb: gpu.memGB, gpu_tdp_w: gpu.tdpW, ram_gb: ramGB,
    gflops: feature('gflops'), train_samples: feature('train_samples'), val_samples: feature('val_samples'),
    batch_size: feature('batch_size'), input_size: feature('input_size'),
  };
  const gaInputs = {
    cpuCores, cpuCoreW: number('cpu-core-w', text('cpu-core-w'), 0), cpuUsage: number('cpu-usage', text('cpu-usage'), 1, 1),
    gpuTdpW: gpu.tdpW, gpuUsage: number('gpu-usage', text('gpu-usage'), 1, 1), memGB: ramGB, pue: number('pue', text('pue'), 1),
  };
  if (gaInputs.pue < 1) throw invalid(`--pue must be at least 1, got "${text('pue')}"`);
  const ga = greenAlgorithmsOffline({ ...gaInputs, runtimeS: durationS ?? 0 });
  const { est, incomplete } = await withRunSet(cfg, (set) => {
    const corpus = offlineCorpus(set);
    return { est: estimateOffline(corpus.runs, features, { durationS, epochs }), incomplete: corpus.skipped };
  });
  const greenAlgorithms = {
    label: 'Green Algorithms (Lannelongue et al. 2021)', powerW: ga.powerW, energyJ: durationS === null ? null : ga.energyJ, ...gaInputs,
  };
  if (parsed.values.json) {
    const out = { gpu: gpu.names, features, durationS, epochs, ...est, incompleteRuns: incomplete, greenAlgorithms };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  const w = (x: number): string => `${x.toFixed(1)} W`;
  const lines = [`Offline estimate for ${gpu.names.join(' + ')}, ${ramGB.toFixed(0)} GB RAM`];
  if (est.meanPowerW === null && est.meanEpochJ === null) {
    lines.push(`  not enough runs: ${est.runs} finished run(s) carry every feature, ${est.needed} are needed` +
      (incomplete.length > 0 ? ` (${incomplete.length} more lack some; see README "Offline estimate")` : ''));
  }
  if (est.meanPowerW !== null) {
    lines.push(`  expected mean power        ${w(est.meanPowerW)}` + (durationS === null ? ' (give --duration for the energy)' : ` × ${fmtDuration(durationS)} = ${fmtJ(est.powerBasedJ)}`) + ` [KRR on ${est.runs} runs]`);
  }
  if (est.meanEpochJ !== null) {
    lines.push(`  expected mean epoch energy ${fmtJ(est.meanEpochJ)}` + (epochs === null ? ' (give --epochs for the total)' : ` × ${epochs} epochs = ${fmtJ(est.epochEnergyBasedJ)}`) + ` [KRR on ${est.epochRuns} runs]`);
  } else if (est.meanPowerW !== null) {
    lines.push(`  expected mean epoch energy — (${est.epochRuns} of those runs have epochs, ${est.needed} are needed)`);
  }
  if (est.outsideRange.length > 0) lines.push(`  note: outside the range of your runs (extrapolated): ${est.outsideRange.join(', ')}`);
  lines.push(`  ${greenAlgorithms.label}: ${w(ga.powerW)}` + (durationS === null ? '' : ` × ${fmtDuration(durationS)} × PUE ${gaInputs.pue} = ${fmtJ(ga.energyJ)}`) +
    ` (n_cores×P_core×usage + TDP ${gpu.tdpW} W × ${gaInputs.gpuUsage} + ${ramGB.toFixed(1)} GB × 0.3725 W/GB)`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
