import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  estimateOffline, fitOffline, greenAlgorithmsOffline, MIN_OFFLINE_RUNS, offlineLoo, parseFeature, type OfflineFeatures, type OfflineRun,
} from '../../../src/analysis/offline.js';
import { gpuSpecByName, knownGpuSpecs } from '../../../src/config/gpus.js';
import { rng } from '../../helpers/traces.js';

const GPUS = [
  { gpu_cuda_cores: 10496, gpu_memory_gb: 24, gpu_tdp_w: 350 },
  { gpu_cuda_cores: 5888, gpu_memory_gb: 8, gpu_tdp_w: 220 },
  { gpu_cuda_cores: 6912, gpu_memory_gb: 40, gpu_tdp_w: 400 },
];

/** Known physics of a synthetic run: power rises with model size and batch, epochs last with work / cores. */
function truth(f: OfflineFeatures): { powerW: number; epochS: number } {
  const load = (1 - Math.exp(-f.gflops / 4)) * (f.batch_size / (f.batch_size + 32));
  return { powerW: 30 + f.gpu_tdp_w * (0.2 + 0.7 * load), epochS: (f.train_samples * f.gflops * 3e3) / f.gpu_cuda_cores / Math.sqrt(f.batch_size) };
}

function corpus(n: number, seed: number): OfflineRun[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const features: OfflineFeatures = {
      ...(GPUS[i % GPUS.length] as (typeof GPUS)[number]), ram_gb: 64, gflops: 0.3 + 15 * r(), train_samples: [20000, 40000][i % 2] as number,
      val_samples: 5000, batch_size: [16, 32, 64][Math.floor(r() * 3)] as number, input_size: 224,
    };
    const { powerW, epochS } = truth(features);
    const epochs = 10 + Math.floor(r() * 30);
    return { id: `r${i}`, features, measuredJ: powerW * epochS * epochs, durationS: epochS * epochs, epochs, meanEpochJ: powerW * epochS };
  });
}

const rmse = (pairs: Array<[number, number]>): number => Math.sqrt(pairs.reduce((a, [p, m]) => a + (p - m) ** 2, 0) / pairs.length);

test('leave-one-out of both offline methods beats the constant predictor on runs with known features', () => {
  const runs = corpus(45, 1);
  const loo = offlineLoo(runs);
  assert.equal(loo.power.length, 45);
  assert.equal(loo.epochEnergy.length, 45);
  // The constant predictor: the other runs' mean power × this run's duration (resp. mean epoch energy × epochs).
  const others = (i: number, f: (r: OfflineRun) => number): number => runs.filter((_, j) => j !== i).reduce((a, r) => a + f(r), 0) / (runs.length - 1);
  const constPower = rmse(runs.map((r, i) => [others(i, (o) => o.measuredJ / o.durationS) * r.durationS, r.measuredJ]));
  const constEpoch = rmse(runs.map((r, i) => [others(i, (o) => o.meanEpochJ as number) * (r.epochs as number), r.measuredJ]));
  assert.ok(rmse(loo.power) < 0.25 * constPower, `power ${rmse(loo.power)} vs ${constPower}`);
  assert.ok(rmse(loo.epochEnergy) < 0.5 * constEpoch, `epoch ${rmse(loo.epochEnergy)} vs ${constEpoch}`);
  loo.power.forEach(([, measured], i) => assert.equal(measured, runs[i]!.measuredJ));
});

test(`below ${MIN_OFFLINE_RUNS} runs nothing is fitted or scored; runs without epochs train only the power model`, () => {
  const few = corpus(MIN_OFFLINE_RUNS - 1, 2);
  assert.deepEqual(offlineLoo(few).power, []);
  const m = fitOffline(few);
  assert.equal(m.power, null);
  assert.equal(m.powerRuns, MIN_OFFLINE_RUNS - 1);
  const noEpochs = corpus(8, 3).map((r, i) => (i < 4 ? { ...r, epochs: null, meanEpochJ: null } : r));
  const f = fitOffline(noEpochs);
  assert.notEqual(f.power, null);
  assert.equal(f.epochEnergy, null);
  assert.equal(f.epochRuns, 4);
});

test('the estimate for a planned run: predicted power × duration, epoch energy × epochs, extrapolation flagged', () => {
  const runs = corpus(45, 4);
  const plan = { ...(runs[0] as OfflineRun).features, gflops: 6, batch_size: 32 };
  const { powerW, epochS } = truth(plan);
  const e = estimateOffline(runs, plan, { durationS: 3600, epochs: 20 });
  assert.ok(Math.abs((e.meanPowerW as number) - powerW) < 0.05 * powerW, `${e.meanPowerW} vs ${powerW}`);
  assert.ok(Math.abs((e.meanEpochJ as number) - powerW * epochS) < 0.15 * powerW * epochS, `${e.meanEpochJ} vs ${powerW * epochS}`);
  assert.equal(e.powerBasedJ, (e.meanPowerW as number) * 3600);
  assert.equal(e.epochEnergyBasedJ, (e.meanEpochJ as number) * 20);
  assert.deepEqual(e.outsideRange, []);
  const far = estimateOffline(runs, { ...plan, gflops: 40 }, { durationS: null, epochs: null });
  assert.deepEqual(far.outsideRange, ['gflops']);
  assert.equal(far.powerBasedJ, null);
  assert.equal(far.epochEnergyBasedJ, null);
});

test('feature values: non-negative plain decimals, counts whole, the size features above zero', () => {
  assert.equal(parseFeature('gflops', ' 4.1 '), 4.1);
  assert.equal(parseFeature('val_samples', '0'), 0);
  assert.throws(() => parseFeature('batch_size', '-32'), { code: 'PROF_ERR_INVALID', message: /batch_size must not be negative/ });
  assert.throws(() => parseFeature('gflops', 'abc'), { code: 'PROF_ERR_INVALID', message: /gflops must be a number/ });
  for (const bad of ['', '1e3', '0x10', '12 GB', 'NaN', 'Infinity']) assert.throws(() => parseFeature('input_size', bad), { code: 'PROF_ERR_INVALID' }, bad);
  assert.throws(() => parseFeature('batch_size', '2.5'), /whole/);
  assert.throws(() => parseFeature('train_samples', '0'), /above 0/);
});

test('Green Algorithms: runtime × (cores × P_core × usage + TDP × usage + GB × 0.3725) × PUE', () => {
  const g = { runtimeS: 7200, cpuCores: 8, cpuCoreW: 10, cpuUsage: 0.5, gpuTdpW: 350, gpuUsage: 0.8, memGB: 64, pue: 1.5 };
  const powerW = 8 * 10 * 0.5 + 350 * 0.8 + 64 * 0.3725;
  const r = greenAlgorithmsOffline(g);
  assert.ok(Math.abs(r.powerW - powerW) < 1e-9);
  assert.ok(Math.abs(r.energyJ - 7200 * powerW * 1.5) < 1e-6);
  assert.throws(() => greenAlgorithmsOffline({ ...g, pue: 0.9 }), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => greenAlgorithmsOffline({ ...g, gpuUsage: 1.2 }), { code: 'PROF_ERR_INVALID' });
  assert.throws(() => greenAlgorithmsOffline({ ...g, memGB: -1 }), { code: 'PROF_ERR_INVALID' });
});

test('GPU names: exact key, a device name holding a key, a unique part of a key; unknown and ambiguous rejected', () => {
  const specs = knownGpuSpecs();
  for (const k of ['A100', 'H100', 'H200', 'V100', 'T4', 'RTX 3090', 'RTX 4090', 'L4']) {
    assert.ok(specs.some((s) => s.model.includes(k)), `config/gpus.json lists ${k}`);
  }
  assert.equal(gpuSpecByName('h200').model, 'H200');
  assert.equal(gpuSpecByName('NVIDIA GeForce RTX 3090').model, 'RTX 3090');
  assert.equal(gpuSpecByName('NVIDIA A100-SXM4-40GB').model, 'A100-SXM4-40GB');
  assert.equal(gpuSpecByName('NVIDIA L4').model, 'L4');
  assert.equal(gpuSpecByName('T4').model, 'Tesla T4');
  // Whole words: an A100 that is no key is not an A10, an L40S no L4.
  assert.throws(() => gpuSpecByName('NVIDIA A100 80GB HBM2e'), /unknown GPU/);
  assert.equal(gpuSpecByName('NVIDIA L40S').model, 'L40S');
  assert.throws(() => gpuSpecByName('A100'), { code: 'PROF_ERR_INVALID', message: /ambiguous.*A100-SXM4-80GB/ });
  assert.throws(() => gpuSpecByName('Voodoo 5'), { code: 'PROF_ERR_INVALID', message: /unknown GPU "Voodoo 5"/ });
  assert.throws(() => gpuSpecByName('  '), { code: 'PROF_ERR_INVALID' });
});

test('a malformed GPU list is PROF_ERR_INVALID naming the entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpus-'));
  try {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ _doc: 'x', 'Card X': { tdpW: 100, memGB: -1, cudaCores: 10 } }));
    assert.throws(() => knownGpuSpecs(join(dir, 'bad.json')), { code: 'PROF_ERR_INVALID', message: /"Card X" needs positive/ });
    writeFileSync(join(dir, 'list.json'), '[]');
    assert.throws(() => knownGpuSpecs(join(dir, 'list.json')), { code: 'PROF_ERR_INVALID' });
    assert.throws(() => knownGpuSpecs(join(dir, 'missing.json')), { code: 'PROF_ERR_INVALID', message: /cannot read/ });
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ 'Card X': { tdpW: 100, memGB: 8, cudaCores: 10, source: 'test' } }));
    assert.deepEqual(knownGpuSpecs(join(dir, 'ok.json')), [{ model: 'Card X', tdpW: 100, memGB: 8, cudaCores: 10 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
