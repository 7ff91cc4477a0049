import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppendGrid, MAX_HOLE, slotTime, toGrid } from '../../../src/analysis/grid.js';
import { LiveProfile, SPACING_SAMPLES } from '../../../src/analysis/live-profile.js';
import { detectStabilization, type Stabilization } from '../../../src/analysis/stabilization.js';
import { LIVE_LOST, StabilizationWorker } from '../../../src/analysis/stabilization-worker.js';
import { readReference, readTrace, rng, syntheticRun } from '../../helpers/traces.js';

const config = { gridMs: 1000, m: 10, L: 10, exclFactor: 3, nRegimes: 2, fixedEpoch: 10, windowEpochs: 5 };

/** Same values, NaN equal to NaN. */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    assert.ok(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)), `${what}[${i}]: ${x} vs ${y}`);
  }
}

test('AppendGrid gives toGrid\'s slots one sample at a time (gaps, a hole longer than MAX_HOLE), each at its own time', () => {
  const rand = rng(7);
  const t: number[] = [];
  const w: number[] = [];
  let now = 1_000_000;
  for (let i = 0; i < 3000; i++) {
    // Mostly one interval with ±10 % jitter, now and then a missed tick or two, once a hole of 500 intervals.
    const r = rand();
    now += i === 1500 ? 500 * 200 : (r < 0.05 ? 3 : r < 0.1 ? 2 : 1) * 200 + (rand() - 0.5) * 40;
    t.push(now);
    w.push(i % 97 === 0 ? NaN : 100 + 50 * Math.sin(i / 30) + rand());
  }
  const batch = toGrid(t, w, 200);
  // toGrid's spacing is the median gap (it keeps it when a hole was cut): the live grid is given the same.
  const gaps = Float64Array.from(t.slice(1).map((x, i) => x - t[i]!)).sort();
  const mid = gaps.length >> 1;
  const median = gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  assert.equal(batch.stepMs, median);
  const live = new AppendGrid(median);
  for (let i = 0; i < t.length; i++) live.push(t[i]!, w[i]!);
  const g = live.grid();
  sameValues(g.values, batch.values, 'values');
  assert.deepEqual(g.skips, batch.skips);
  // Each sample's slot is at the sample's own time.
  const sampleSlots = [...g.values.keys()].filter((i) => slotTime(g, i) === t.find((x) => x === slotTime(g, i)));
  assert.ok(sampleSlots.length >= t.length, `${sampleSlots.length} slots at a sample's time`);
  assert.ok(g.values.length < 1.3 * t.length + MAX_HOLE, `${g.values.length} slots`);
  assert.equal(slotTime(g, g.values.length - 1), t[t.length - 1]);
  assert.equal(slotTime(g, 0), t[0]);
  assert.throws(() => live.push(t[0]!, 1), /ascending/);
  assert.throws(() => new AppendGrid(0), /spacing/);
});

interface Run {
  t: number[];
  powerW: number[];
  epochEnds: number[];
}

/**
 * Streams a run into a LiveProfile as the daemon does (feeds of `chunk` samples, epoch ends known once the feed's
 * samples pass them, or `lateBy` samples later) and, at each epoch end from 2 to `upTo`, runs the detector on the
 * live state and, in one go, on the same samples; returns both answers per epoch.
 */
function stream(run: Run, opts: { chunk: number; upTo: number; lateBy?: number; cfg?: typeof config }): { live: Stabilization | null; batch: Stabilization | null; kept: number; batches: number }[] {
  const cfg = opts.cfg ?? config;
  const p = new LiveProfile(cfg.m);
  const out: { live: Stabilization | null; batch: Stabilization | null; kept: number; batches: number }[] = [];
  let fed = 0;
  const lateBy = opts.lateBy ?? 0;
  for (let e = 1; e <= opts.upTo; e++) {
    const end = run.epochEnds[e - 1]!;
    const k = run.t.findIndex((x) => x > end);
    // A late end: the stream has gone lateBy samples past it before it is known.
    const stop = Math.min(run.t.length, (k < 0 ? run.t.length : k) + lateBy);
    while (fed < stop) {
      const next = Math.min(stop, fed + opts.chunk);
      const tk = run.t[next - 1]!;
      // Epoch ends the daemon knows of at this point (a late one shows up lateBy samples after it happened).
      const known = run.epochEnds.filter((x) => x <= run.t[Math.max(0, next - 1 - lateBy)]!);
      p.append({ t: Float64Array.from(run.t.slice(fed, next)), w: Float64Array.from(run.powerW.slice(fed, next)), epochEnds: known,
        settledThrough: tk, profileUntil: known[cfg.fixedEpoch - 1] ?? Infinity });
      fed = next;
    }
    const ends = run.epochEnds.slice(0, e);
    // The epoch is finalized: every sample up to its end is in.
    p.append({ t: new Float64Array(0), w: new Float64Array(0), epochEnds: ends, settledThrough: Math.max(end, run.t[stop - 1]!), profileUntil: ends[cfg.fixedEpoch - 1] ?? Infinity });
    if (e < 2) continue;
    // Counts the prefixes the live state answered (kept or current profile, or its own one-go fallback).
    const src = p.source();
    let kept = 0;
    const before = p.batchProfiles;
    const profiles = { at: (u: number) => {
      const r = src.profiles.at(u);
      if (r) kept++;
      return r;
    } };
    const live = detectStabilization({ ...src, profiles, epochEnds: ends, config: cfg });
    const batch = detectStabilization({ t: run.t.slice(0, fed), powerW: run.powerW.slice(0, fed), epochEnds: ends, config: cfg });
    out.push({ live, batch, kept: fed >= SPACING_SAMPLES ? kept : 1, batches: p.batchProfiles - before });
  }
  return out;
}

const verdict = (s: Stabilization | null) => (s === null ? null : [s.method, s.epoch, s.confident, s.cacMin]);

test('live profile: every epoch\'s verdict equals the one-go detector on the same samples (synthetic runs, 1 s and 200 ms)', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const run = syntheticRun({ seed, dips: true, epochs: 14 });
    for (const r of stream(run, { chunk: 1 + seed * 7, upTo: 14 })) {
      assert.deepEqual(verdict(r.live), verdict(r.batch), r.batch?.reason);
      assert.ok(r.kept >= 1, 'the live state answered');
      assert.equal(r.batches, 0, 'every prefix asked for was kept as the stream passed it');
    }
  }
  // Short epochs sampled at 200 ms: 3-s epochs, 15 samples each.
  const rand = rng(3);
  const t0 = Date.UTC(2024, 0, 1);
  const run: Run = { t: [], powerW: [], epochEnds: [] };
  for (let e = 1; e <= 12; e++) run.epochEnds.push(t0 + e * 3000 + 1);
  for (let i = 0; i <= 12 * 15; i++) {
    const s = i * 0.2;
    const w = s < 12 ? 80 + 15 * s : 260 + 8 * Math.sin(i) + 4 * rand() - (s % 3 > 2.6 ? 60 : 0);
    run.t.push(t0 + i * 200);
    run.powerW.push(w);
  }
  const short = stream(run, { chunk: 9, upTo: 12, cfg: { ...config, gridMs: 200 } });
  for (const r of short) assert.deepEqual(verdict(r.live), verdict(r.batch), r.batch?.reason);
  assert.equal(short[short.length - 1]!.live?.method, 'fluss', short[short.length - 1]!.live?.reason);
});

test('live profile: the real traces give the one-go verdict at every epoch up to the horizon', () => {
  const refs = readReference();
  for (const r of refs) {
    const tr = readTrace(r.file);
    const t0 = tr.t[0]!;
    const span = tr.t[tr.t.length - 1]! - t0;
    const epochEnds = Array.from({ length: r.trainedEpochs }, (_, i) => t0 + (span * (i + 1)) / r.trainedEpochs);
    const res = stream({ t: tr.t, powerW: tr.powerW, epochEnds }, { chunk: 23, upTo: Math.min(12, r.trainedEpochs) });
    res.forEach((x, i) => {
      assert.deepEqual(verdict(x.live), verdict(x.batch), `${r.file} at epoch ${i + 2}: ${x.live?.reason} | ${x.batch?.reason}`);
      assert.ok(x.kept >= 1 && x.batches === 0, `${r.file} at epoch ${i + 2}: kept ${x.kept}, one-go ${x.batches}`);
    });
  }
});

test('live profile: an epoch end learnt after its samples were consumed is profiled in one go, same verdict', () => {
  const run = syntheticRun({ seed: 2, dips: true, epochs: 12 });
  const res = stream(run, { chunk: 5, upTo: 12, lateBy: 20 });
  for (const r of res) assert.deepEqual(verdict(r.live), verdict(r.batch), r.batch?.reason);
  assert.ok(res.reduce((a, r) => a + r.batches, 0) > 0, 'late ends were profiled in one go');
});

test('live profile: samples past profileUntil no longer grow the profile; bad feeds are refused', () => {
  const run = syntheticRun({ seed: 1, epochs: 12 });
  const p = new LiveProfile(10);
  const k = run.t.findIndex((x) => x > run.epochEnds[9]!);
  p.append({ t: Float64Array.from(run.t.slice(0, k)), w: Float64Array.from(run.powerW.slice(0, k)), epochEnds: run.epochEnds.slice(0, 10),
    settledThrough: run.t[k - 1]!, profileUntil: run.epochEnds[9]! });
  const before = p.memoryBytes();
  p.append({ t: Float64Array.from(run.t.slice(k)), w: Float64Array.from(run.powerW.slice(k)), epochEnds: run.epochEnds, settledThrough: Infinity,
    profileUntil: run.epochEnds[9]! });
  assert.equal(p.samples, run.t.length);
  // Only the raw series grows (16 B a sample, by doubling), never the profile's ~60 B a sample.
  assert.ok(p.memoryBytes() - before <= 2 * 16 * run.t.length, `${p.memoryBytes() - before} B more`);
  assert.ok(p.spacingMs !== null && Math.abs(p.spacingMs - 1000) < 1);
  assert.throws(() => p.append({ t: Float64Array.of(0), w: Float64Array.of(1), epochEnds: [], settledThrough: 0, profileUntil: Infinity }), /after the previous/);
  assert.throws(() => p.append({ t: Float64Array.of(1, 2), w: Float64Array.of(1), epochEnds: [], settledThrough: 0, profileUntil: Infinity }), /same length/);
  assert.throws(() => new LiveProfile(2), /m must be/);
  assert.ok(SPACING_SAMPLES >= 16);
});

test('StabilizationWorker: live state fed in the worker gives the in-thread verdict; unknown state is LIVE_LOST', async () => {
  const w = new StabilizationWorker();
  try {
    const run = syntheticRun({ seed: 3, dips: true, epochs: 12 });
    const half = Math.floor(run.t.length / 2);
    const ends = run.epochEnds;
    await w.feed('r1', 10, true, { t: Float64Array.from(run.t.slice(0, half)), w: Float64Array.from(run.powerW.slice(0, half)), epochEnds: ends.filter((x) => x <= run.t[half - 1]!), settledThrough: run.t[half - 1]!, profileUntil: Infinity });
    await w.feed('r1', 10, false, { t: Float64Array.from(run.t.slice(half)), w: Float64Array.from(run.powerW.slice(half)), epochEnds: ends, settledThrough: Infinity, profileUntil: ends[9]! });
    const live = await w.detectLive('r1', { epochEnds: ends, config });
    const p = new LiveProfile(10);
    p.append({ t: Float64Array.from(run.t), w: Float64Array.from(run.powerW), epochEnds: ends, settledThrough: Infinity, profileUntil: ends[9]! });
    assert.deepEqual(live, detectStabilization({ ...p.source(), epochEnds: ends, config }));
    assert.deepEqual(verdict(live), verdict(detectStabilization({ ...run, config })));
    const [stats] = await w.stats();
    assert.equal(stats?.samples, run.t.length);
    await assert.rejects(w.detectLive('nope', { epochEnds: ends, config }), { code: LIVE_LOST });
    await assert.rejects(w.feed('nope', 10, false, { t: Float64Array.of(1), w: Float64Array.of(1), epochEnds: [], settledThrough: 1, profileUntil: Infinity }), { code: LIVE_LOST });
    // A refused feed drops the state: it is not continued with a hole in it.
    await assert.rejects(w.feed('r1', 10, false, { t: Float64Array.of(0), w: Float64Array.of(1), epochEnds: [], settledThrough: 0, profileUntil: Infinity }), /after the previous/);
    await assert.rejects(w.detectLive('r1', { epochEnds: ends, config }), { code: LIVE_LOST });
    assert.deepEqual(await w.detect({ ...run, config }), detectStabilization({ ...run, config }));
  } finally {
    await w.close();
  }
});

test('StabilizationWorker: with no live state and nothing pending the worker stops; the next request starts another', async () => {
  const w = new StabilizationWorker();
  try {
    const run = syntheticRun({ seed: 4, dips: true, epochs: 12 });
    const expected = detectStabilization({ ...run, config });
    assert.deepEqual(await w.detect({ ...run, config }), expected);
    assert.equal(w.generation, 1);
    assert.deepEqual(await w.detect({ ...run, config }), expected);
    assert.equal(w.generation, 2, 'stopped when idle, started again');
    // A live state keeps it: later requests go to the same worker until the state is dropped.
    await w.feed('k', 10, true, { t: Float64Array.from(run.t), w: Float64Array.from(run.powerW), epochEnds: run.epochEnds, settledThrough: Infinity, profileUntil: Infinity });
    await w.detectLive('k', { epochEnds: run.epochEnds, config });
    await w.detect({ ...run, config });
    assert.equal(w.generation, 3);
    await w.drop('k');
    await w.detect({ ...run, config });
    assert.equal(w.generation, 4);
  } finally {
    await w.close();
  }
});
