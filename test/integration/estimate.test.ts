import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { importRun } from '../../src/import/importer.js';
import { analyzeOnce } from '../../src/runs/analysis.js';
import { openRunSet } from '../../src/runs/open.js';
import { DEMO, runCli, testHome } from '../helpers/cli.js';
import { readReference, readTrace, rng, TRACES_DIR } from '../helpers/traces.js';

/** Published model sizes (GFLOPs per 224×224 image, Keras Applications / the architectures' papers). */
const GFLOPS: Record<string, number> = { mobilenet_v2: 0.3, nasnet_mobile: 0.57, resnet50: 4.1, vgg16: 15.5 };
/** reference.csv gives GPU, batch size and training images; these three it does not: one value for every run. */
const UNPUBLISHED = { val_samples: '5000', input_size: '224', ram_gb: '64' };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** Wall-clock text of a time read as UTC (the traces' local times are parsed that way by readTrace). */
const wall = (ms: number, sep: string): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${sep}${pad(d.getUTCMonth() + 1)}${sep}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:` +
    `${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
};

/** The study's `epoch,end_time` file: `n` equal epochs from `from` to `to` (the traces ship without theirs). */
function epochsCsv(file: string, from: number, to: number, n: number): string {
  const lines = ['epoch,end_time', ...Array.from({ length: n }, (_, e) => `${e},${wall(from + ((e + 1) * (to - from)) / n, '-')}000`)];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The synthetic runs' training set size (the real traces' too). */
const TRAIN = 23807;

const GPUS = [
  { name: 'NVIDIA GeForce RTX 3090', tdpW: 350, cores: 10496 },
  { name: 'NVIDIA GeForce RTX 3070', tdpW: 220, cores: 5888 },
  { name: 'NVIDIA A100-SXM4-40GB', tdpW: 400, cores: 6912 },
];

/** Known physics of a synthetic run: power rises with model size and batch; an epoch lasts with work / cores. */
function truth(gpu: (typeof GPUS)[number], gflops: number, batch: number): { powerW: number; epochS: number } {
  const load = (1 - Math.exp(-gflops / 4)) * (batch / (batch + 32));
  return { powerW: 30 + gpu.tdpW * (0.2 + 0.7 * load), epochS: 3 + (TRAIN * gflops * 4) / gpu.cores / Math.sqrt(batch) };
}

/** An nvidia-smi log (the traces' layout) of a run at the true power ± 2 W, 1 sample/s, and its epochs file. */
function syntheticRun(dir: string, i: number, r: () => number): {
  gpuCsv: string; epochsCsv: string; meta: Record<string, string>; truth: { powerW: number; epochS: number; epochs: number };
} {
  const gpu = GPUS[i % GPUS.length] as (typeof GPUS)[number];
  const gflops = 0.3 + 15 * r();
  const batch = [16, 32, 64][Math.floor(r() * 3)] as number;
  const epochs = 8 + Math.floor(r() * 8);
  const { powerW, epochS } = truth(gpu, gflops, batch);
  const start = Date.UTC(2024, 0, 1 + i, 12);
  const n = Math.ceil(epochs * epochS) + 1;
  const rows = ['timestamp, name, utilization.gpu [%], utilization.memory [%], memory.total [MiB], memory.used [MiB], power.draw [W], power.max_limit [W], temperature.gpu'];
  for (let k = 0; k < n; k++) {
    rows.push(`${wall(start + k * 1000, '/')}, ${gpu.name}, 80 %, 40 %, 24576 MiB, 9000 MiB, ${(powerW + 4 * (r() - 0.5)).toFixed(2)} W, ${gpu.tdpW}.00 W, 60`);
  }
  const gpuCsv = path.join(dir, `synthetic-${i}.csv`);
  writeFileSync(gpuCsv, rows.join('\n') + '\n');
  return {
    gpuCsv,
    epochsCsv: epochsCsv(path.join(dir, `synthetic-${i}-epochs.csv`), start, start + (n - 1) * 1000, epochs),
    meta: { gflops: gflops.toFixed(3), batch_size: String(batch), train_samples: String(TRAIN), ...UNPUBLISHED },
    truth: { powerW, epochS, epochs },
  };
}

const realMeta = (arch: string): string[] =>
  Object.entries({ gflops: String(GFLOPS[arch]), batch_size: '32', train_samples: String(TRAIN), ...UNPUBLISHED }).flatMap(([k, v]) => ['--meta', `${k}=${v}`]);

const FEATURES = ['--gflops', '4.1', '--train-samples', '23807', '--val-samples', '5000', '--batch-size', '32', '--input-size', '224', '--ram-gb', '64'];

describe('profiler estimate and the offline columns of profiler evaluate', () => {
  let home = '';
  let env: NodeJS.ProcessEnv = {};
  before(() => {
    home = mkdtempSync(path.join(tmpdir(), 'estimate-'));
    env = { ...process.env, PROFILER_HOME: home };
  });
  after(() => (process.env.KEEP_HOME ? process.stdout.write(`# home ${home}\n`) : rmSync(home, { recursive: true, force: true })));

  it('with too few runs says how many it has and needs, beside the Green Algorithms figure', async () => {
    const r = await runCli(['estimate', ...FEATURES, '--gpu', 'RTX 3090', '--duration', '2h', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout.toString());
    assert.equal(e.runs, 0);
    assert.equal(e.needed, 5);
    assert.equal(e.meanPowerW, null);
    assert.ok(Math.abs(e.greenAlgorithms.energyJ - 7200 * (350 + 64 * 0.3725)) < 1e-6, JSON.stringify(e.greenAlgorithms));
    assert.deepEqual(e.features.gpu_tdp_w, 350);
    const text = (await runCli(['estimate', ...FEATURES, '--gpu', 'RTX 3090', '--duration', '90m'], { env })).stdout.toString();
    assert.match(text, /not enough runs: 0 finished run\(s\) carry every feature, 5 are needed/);
    const mj = ((350 + 64 * 0.3725) * 5400 / 1e6).toFixed(2);
    assert.match(text, new RegExp(`Green Algorithms \\(Lannelongue et al\\. 2021\\): 373\\.8 W × 1h30m × PUE 1 = ${mj.replace('.', '\\.')} MJ`));
  });

  it('rejects bad feature values with PROF_ERR_INVALID and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['--batch-size', '-32'], /batch_size must not be negative/],
      [['--gflops', 'abc'], /gflops must be a number/],
      [['--gpu', 'Voodoo 5'], /unknown GPU "Voodoo 5"/],
      [['--gpu', 'A100'], /ambiguous/],
      [['--duration', 'soon'], /--duration/],
      [['--ram-gb', '-1'], /ram_gb must not be negative/],
      [['--gpu-usage', '1.5'], /--gpu-usage/],
    ];
    for (const [flags, message] of cases) {
      const args = [...FEATURES, '--gpu', 'RTX 3090', ...flags];
      const r = await runCli(['estimate', ...args, '--json'], { env });
      assert.equal(r.code, 2, flags.join(' '));
      assert.match(r.stderr, message);
      assert.equal(JSON.parse(r.stdout.toString()).error.code, 'PROF_ERR_INVALID', flags.join(' '));
    }
    const noGpu = await runCli(['estimate', ...FEATURES, '--json'], { env: { ...env, PROFILER_NVIDIA_SMI: path.join(home, 'no-nvidia-smi') } });
    assert.equal(noGpu.code, 2);
    assert.match(noGpu.stderr, /no --gpu given and no local GPU found \(nvidia-smi not found.*give --gpu NAME/);
    // Two GPUs add up, as a run's devices do.
    const two = JSON.parse((await runCli(['estimate', ...FEATURES, '--gpu', 'T4', '--gpu', 'L4', '--json'], { env })).stdout.toString());
    assert.deepEqual(two.features.gpu_tdp_w, 70 + 72);
    const missing = await runCli(['estimate', '--gpu', 'T4'], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--gflops, --train-samples.*PROF_ERR_USAGE/s);
  });

  it('recovers power and epoch energy that are known functions of the features, then fills Table 10 with real traces', async () => {
    // Phase 1: synthetic runs only, where the truth is known.
    const cfg = loadConfig({ env });
    const set = openRunSet(cfg);
    const r = rng(15);
    const SYNTHETIC = 30;
    const truths: { powerW: number; epochS: number; epochs: number }[] = [];
    try {
      for (let i = 0; i < SYNTHETIC; i++) {
        const s = syntheticRun(home, i, r);
        truths.push(s.truth);
        await importRun(set, { gpuCsv: [s.gpuCsv], epochsCsv: s.epochsCsv, meta: s.meta, beforeReveal: (id) => analyzeOnce(set, id, pino({ level: 'silent' })) });
      }
    } finally {
      set.close();
    }
    const evaluate = async (): Promise<{ out: any; by: Map<string, { n: number; rmseKJ: number }> }> => {
      const ev = await runCli(['evaluate', '--json'], { env });
      assert.equal(ev.code, 0, ev.stderr);
      const out = JSON.parse(ev.stdout.toString());
      return { out, by: new Map(out.withEpochs.map((row: { method: string }) => [row.method, row])) };
    };
    const syn = await evaluate();
    assert.deepEqual(syn.out.offline.incomplete, []);
    assert.equal(syn.by.get('offline-power')?.n, SYNTHETIC);
    assert.equal(syn.by.get('offline-epoch-energy')?.n, SYNTHETIC);
    // The constant predictor's leave-one-out (the other runs' mean power × duration, mean epoch energy × epochs).
    const constant = (f: (t: (typeof truths)[number]) => number, scale: (t: (typeof truths)[number]) => number): number => {
      const sum = truths.reduce((a, t) => a + f(t), 0);
      const se = truths.reduce((a, t) => a + (((sum - f(t)) / (SYNTHETIC - 1)) * scale(t) - t.powerW * t.epochS * t.epochs) ** 2, 0);
      return Math.sqrt(se / SYNTHETIC) / 1000;
    };
    const constPower = constant((t) => t.powerW, (t) => t.epochS * t.epochs);
    const constEpoch = constant((t) => t.powerW * t.epochS, (t) => t.epochs);
    const synPower = syn.by.get('offline-power')?.rmseKJ as number;
    const synEpoch = syn.by.get('offline-epoch-energy')?.rmseKJ as number;
    process.stdout.write(`# synthetic: offline power RMSE ${synPower.toFixed(2)} kJ (constant ${constPower.toFixed(2)}), ` +
      `epoch-energy ${synEpoch.toFixed(2)} kJ (constant ${constEpoch.toFixed(2)})\n`);
    assert.ok(synPower < 0.2 * constPower, `offline power ${synPower} vs constant ${constPower}`);
    assert.ok(synEpoch < 0.2 * constEpoch, `offline epoch-energy ${synEpoch} vs constant ${constEpoch}`);

    // A planned run the corpus has not seen: the expected mean power is the known one within 10 %.
    const plan = truth(GPUS[0] as (typeof GPUS)[number], 8, 32);
    const est = await runCli(['estimate', '--gpu', 'NVIDIA GeForce RTX 3090', '--gflops', '8', '--batch-size', '32', '--train-samples', '23807',
      '--val-samples', '5000', '--input-size', '224', '--ram-gb', '64', '--duration', '3600', '--epochs', '10', '--json'], { env });
    assert.equal(est.code, 0, est.stderr);
    const e = JSON.parse(est.stdout.toString());
    assert.equal(e.runs, SYNTHETIC);
    assert.ok(Math.abs(e.meanPowerW - plan.powerW) < 0.1 * plan.powerW, `${e.meanPowerW} vs ${plan.powerW}`);
    assert.ok(Math.abs(e.meanEpochJ - plan.powerW * plan.epochS) < 0.2 * plan.powerW * plan.epochS, `${e.meanEpochJ} vs ${plan.powerW * plan.epochS}`);
    assert.equal(e.powerBasedJ, e.meanPowerW * 3600);
    assert.equal(e.epochEnergyBasedJ, e.meanEpochJ * 10);

    // Phase 2: the study's real traces join (GPU, model, batch size, images as published): every column of Table 10.
    const ref = readReference();
    for (const t of ref) {
      const trace = readTrace(t.file);
      const ep = epochsCsv(path.join(home, `${t.file}.epochs.csv`), trace.t[0] as number, trace.t.at(-1) as number, t.trainedEpochs);
      const mem = path.join(TRACES_DIR, t.file.replace('-gpu-power-', '-cpu-mem-usage-'));
      const imp = await runCli(['import', '--gpu-csv', path.join(TRACES_DIR, t.file), '--mem-csv', mem, '--epochs-csv', ep,
        ...realMeta(t.architecture), '--json'], { env });
      assert.equal(imp.code, 0, imp.stderr);
    }
    const all = await evaluate();
    const total = ref.length + SYNTHETIC;
    assert.deepEqual(all.out.offline.incomplete, []);
    assert.equal(all.out.offline.runs, total);
    for (const m of ['green-algorithms', 'mlco2', 'power-based', 'epoch-energy', 'offline-power', 'offline-epoch-energy']) {
      assert.ok((all.by.get(m)?.n ?? 0) > 0, m);
    }
    const runs = JSON.parse((await runCli(['runs', '--json', '--limit', '1000'], { env })).stdout.toString()) as { energy: { totalJ: number }; durationS: number }[];
    assert.equal(runs.length, total);
    const powers = runs.map((x) => x.energy.totalJ / x.durationS);
    const sum = powers.reduce((a, p) => a + p, 0);
    const constAll = Math.sqrt(runs.reduce((a, x, i) => a + (((sum - (powers[i] as number)) / (total - 1)) * x.durationS - x.energy.totalJ) ** 2, 0) / total) / 1000;
    const allPower = all.by.get('offline-power')?.rmseKJ as number;
    process.stdout.write(`# real + synthetic: ${[...all.by.values()].map((v: any) => `${v.method} ${v.rmseKJ?.toFixed(2)} kJ (n ${v.n})`).join(', ')}; constant power ${constAll.toFixed(2)} kJ\n`);
    assert.ok(allPower < constAll, `offline power ${allPower} vs constant ${constAll}`);
    const text = (await runCli(['evaluate'], { env })).stdout.toString();
    assert.match(text, /offline power\s+offline epoch-energy/);
  });

  it('a recorded run with --meta counts: GPU from its device, total RAM from the host samples', async () => {
    const h = await testHome();
    try {
      const meta = ['gflops=4.1', 'train_samples=1000', 'val_samples=100', 'batch_size=32', 'input_size=224'].flatMap((m) => ['--meta', m]);
      const r = await runCli(['run', '--quiet', ...meta, '--', 'python3', DEMO, '--epochs', '2', '--epoch-seconds', '0.3'], { env: h.env });
      assert.equal(r.code, 0, r.stderr);
      const e = JSON.parse((await runCli(['estimate', ...FEATURES, '--gpu', 'RTX 3090', '--json'], { env: h.env })).stdout.toString());
      assert.equal(e.runs, 1, JSON.stringify(e));
      assert.equal(e.epochRuns, 1);
      assert.deepEqual(e.incompleteRuns, []);
      // Without --gpu the local GPU (the fake nvidia-smi's A100-SXM4-80GB) gives the GPU features.
      const local = JSON.parse((await runCli(['estimate', ...FEATURES, '--json'], { env: h.env })).stdout.toString());
      assert.deepEqual(local.gpu, ['A100-SXM4-80GB']);
      assert.equal(local.features.gpu_cuda_cores, 6912);
    } finally {
      await h.cleanup();
    }
  });
});
