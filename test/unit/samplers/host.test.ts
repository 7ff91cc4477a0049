import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { ProfilerError } from '../../../src/errors.js';
import { parseMeminfo, ramPowerW, readSystemMemory } from '../../../src/samplers/host.js';

const close = (a: number, b: number, eps = 1e-12): boolean => Math.abs(a - b) <= eps;

test('readSystemMemory reads this machine: used + available = total', async () => {
  const m = await readSystemMemory();
  assert.ok(m.totalBytes > 0, JSON.stringify(m));
  assert.ok(m.availableBytes >= 0 && m.availableBytes <= m.totalBytes, JSON.stringify(m));
  assert.equal(m.usedBytes + m.availableBytes, m.totalBytes);
  if (existsSync('/proc/meminfo')) {
    const kb = /^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    assert.equal(m.totalBytes, Number(kb) * 1024);
  }
});

test('readSystemMemory uses available, not free, so page cache is not "used"', async () => {
  const m = await readSystemMemory(async () => ({ total: 16e9, available: 12e9, free: 1e9, used: 15e9 }));
  assert.deepEqual(m, { totalBytes: 16e9, usedBytes: 4e9, availableBytes: 12e9 });
});

test('readSystemMemory turns garbage and failures into a clear error', async () => {
  const bad = [
    { total: 0, available: 0 },
    { total: Number.NaN, available: 1 },
    { total: 10, available: 11 },
    { total: 10, available: -1 },
    { total: '10', available: 1 },
    null,
  ];
  for (const b of bad) {
    await assert.rejects(
      readSystemMemory(async () => b as unknown as { total: number; available: number }),
      (e: unknown) => e instanceof ProfilerError && e.code === 'PROF_ERR_HOST_MEMORY' && /not plausible/.test(e.message),
      JSON.stringify(b),
    );
  }
  await assert.rejects(
    readSystemMemory(() => Promise.reject(new Error('boom'))),
    (e: unknown) => e instanceof ProfilerError && e.code === 'PROF_ERR_HOST_MEMORY' && (e.cause as Error).message === 'boom',
  );
});

test('ramPowerW: 3.75e-4 W per MiB of RSS (the study\'s psutil MB)', () => {
  assert.equal(ramPowerW(0), 0);
  assert.ok(close(ramPowerW(2 ** 20), 3.75e-4));
  assert.ok(close(ramPowerW(2 ** 30), 0.384)); // 1 GiB = 1024 MiB
  assert.ok(close(ramPowerW(1000 * 2 ** 20), 0.375)); // the "GB" of 0.375 W/GB is 1000 MiB
  assert.ok(close(ramPowerW(2 ** 30, 0.3725), 1.024 * 0.3725)); // Green Algorithms' coefficient
});

test('ramPowerW rejects bad input with a clear error', () => {
  for (const [rss, w] of [[-1, 0.375], [Number.NaN, 0.375], [Infinity, 0.375], [1, -0.1], [1, Number.NaN]] as const) {
    assert.throws(() => ramPowerW(rss, w), (e: unknown) => e instanceof ProfilerError && e.code === 'PROF_ERR_INVALID');
  }
});

test('parseMeminfo: MemTotal and MemAvailable in bytes; null when either is missing', () => {
  const text = 'MemTotal:       16303412 kB\nMemFree:         1204396 kB\nMemAvailable:   12022772 kB\nBuffers:          393148 kB\n';
  assert.deepEqual(parseMeminfo(text), { total: 16303412 * 1024, available: 12022772 * 1024 });
  assert.equal(parseMeminfo('MemTotal:       16303412 kB\nMemFree:         1204396 kB\n'), null);
  assert.equal(parseMeminfo('garbage'), null);
  // A key that merely ends like one (no such line in procfs, but the match is anchored).
  assert.equal(parseMeminfo('XMemTotal: 1 kB\nMemAvailable: 1 kB\n'), null);
});
