// Power profiles of the fake nvidia-smi: piecewise-linear power in time since t0, plus its exact integral.
import { readFileSync } from 'node:fs';

/**
 * A GPU's power as training draws it, piecewise linear (so its integral stays exact): idle, a noisy warm-up ramp,
 * then 10 minutes of 3-s periods (noisy training at `trainW`, a validation dip to 75 % of it at each period's end),
 * then a long plateau. Noise comes from a seeded generator: every run of the fake replays the same profile.
 */
function trainingSegments({ idleS, idleW, rampS, trainW, seed, phaseS }) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const segs = [{ durationS: idleS, fromW: idleW, toW: idleW }];
  let w = idleW;
  for (let i = 1; i <= rampS / 0.5; i++) {
    const next = idleW + ((trainW - idleW) * i * 0.5) / rampS + rnd() * 0.12 * trainW;
    segs.push({ durationS: 0.5, fromW: w, toW: next });
    w = next;
  }
  if (phaseS > 0) segs.push({ durationS: phaseS, fromW: w, toW: (w = trainW) });
  const dip = 0.75 * trainW;
  for (let k = 0; k < 200; k++) {
    for (let j = 0; j < 4; j++) {
      const next = trainW * (1 + rnd() * 0.03);
      segs.push({ durationS: 0.6, fromW: w, toW: next });
      w = next;
    }
    segs.push({ durationS: 0.1, fromW: w, toW: dip }, { durationS: 0.4, fromW: dip, toW: dip }, { durationS: 0.1, fromW: dip, toW: trainW });
    w = trainW;
  }
  segs.push({ durationS: 3600, fromW: w, toW: trainW });
  return segs;
}

/** Used when FAKE_SMI_PROFILE is unset: 2 GPUs, a noisy warm-up, then training with validation dips. */
export const DEFAULT_PROFILE = Object.freeze({
  gpus: [
    {
      uuid: 'GPU-fa4e0000-0000-4000-8000-000000000000',
      name: 'NVIDIA Fake A100-SXM4-80GB',
      powerLimitW: 400,
      memTotalMiB: 81920,
      segments: trainingSegments({ idleS: 2, idleW: 60, rampS: 10, trainW: 310, seed: 11, phaseS: 0 }),
    },
    {
      uuid: 'GPU-fa4e0001-0000-4000-8000-000000000001',
      name: 'NVIDIA Fake A100-SXM4-80GB',
      powerLimitW: 400,
      memTotalMiB: 81920,
      segments: trainingSegments({ idleS: 4, idleW: 55, rampS: 8, trainW: 250, seed: 29, phaseS: 0 }),
    },
  ],
});

function fail(msg) {
  throw new Error(`invalid fake nvidia-smi profile: ${msg}`);
}

/** Checks a parsed profile object; throws a clear Error naming the bad field. */
export function validateProfile(p) {
  if (typeof p !== 'object' || p === null) fail('not a JSON object');
  if (p.t0 !== undefined && !Number.isFinite(p.t0)) fail('t0 must be epoch milliseconds');
  if (!Array.isArray(p.gpus) || p.gpus.length === 0) fail('gpus must be a non-empty array');
  p.gpus.forEach((g, i) => {
    const at = `gpus[${i}]`;
    if (typeof g.uuid !== 'string' || !/^GPU-[0-9A-Za-z-]+$/.test(g.uuid)) fail(`${at}.uuid must look like GPU-…`);
    if (typeof g.name !== 'string' || g.name === '') fail(`${at}.name must be a string`);
    if (!(g.powerLimitW > 0)) fail(`${at}.powerLimitW must be > 0`);
    if (!(g.memTotalMiB > 0)) fail(`${at}.memTotalMiB must be > 0`);
    if (!Array.isArray(g.segments) || g.segments.length === 0) fail(`${at}.segments must be a non-empty array`);
    g.segments.forEach((s, j) => {
      if (!(s.durationS > 0)) fail(`${at}.segments[${j}].durationS must be > 0`);
      if (!Number.isFinite(s.fromW) || !Number.isFinite(s.toW)) fail(`${at}.segments[${j}] needs fromW and toW`);
    });
    if (g.migUuids !== undefined && !Array.isArray(g.migUuids)) fail(`${at}.migUuids must be an array`);
  });
  return p;
}

/** Reads FAKE_SMI_PROFILE (or the default) and fixes t0 (omitted = process start). */
export function loadProfile(path, processStartMs) {
  const p = path ? validateProfile(JSON.parse(readFileSync(path, 'utf8'))) : structuredClone(DEFAULT_PROFILE);
  return { ...p, t0: p.t0 ?? processStartMs };
}

function totalS(gpu) {
  return gpu.segments.reduce((a, s) => a + s.durationS, 0);
}

// Energy (J) of one profile pass from its start to x seconds in (0 <= x <= total).
function passEnergy(gpu, x) {
  let e = 0;
  let left = x;
  for (const s of gpu.segments) {
    const d = Math.min(left, s.durationS);
    if (d <= 0) break;
    const end = s.fromW + ((s.toW - s.fromW) * d) / s.durationS;
    e += ((s.fromW + end) / 2) * d;
    left -= d;
  }
  return e;
}

function passPower(gpu, x) {
  let left = x;
  for (const s of gpu.segments) {
    if (left <= s.durationS) return s.fromW + ((s.toW - s.fromW) * left) / s.durationS;
    left -= s.durationS;
  }
  return gpu.segments[gpu.segments.length - 1].toW;
}

/** Power (W) at epoch ms tMs: first value held before t0, last value held after the end unless repeat. */
export function powerAt(gpu, tMs, t0) {
  const x = (tMs - t0) / 1000;
  if (x <= 0) return gpu.segments[0].fromW;
  const total = totalS(gpu);
  if (gpu.repeat && x > total) return passPower(gpu, x % total);
  return passPower(gpu, Math.min(x, total));
}

// Energy (J) from t0 to t0 + x seconds; negative x integrates the held first value backwards.
function energyTo(gpu, x) {
  if (x <= 0) return gpu.segments[0].fromW * x;
  const total = totalS(gpu);
  if (gpu.repeat) {
    const cycles = Math.floor(x / total);
    return cycles * passEnergy(gpu, total) + passEnergy(gpu, x - cycles * total);
  }
  if (x <= total) return passEnergy(gpu, x);
  return passEnergy(gpu, total) + gpu.segments[gpu.segments.length - 1].toW * (x - total);
}

/** Exact energy (J) between two epoch-ms instants: the integral of powerAt. */
export function energyBetween(gpu, fromMs, toMs, t0) {
  return energyTo(gpu, (toMs - t0) / 1000) - energyTo(gpu, (fromMs - t0) / 1000);
}
