import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRaplReader } from '../../../src/samplers/rapl.js';

const FIXTURES = path.resolve('test/fixtures/powercap');
const IM = 262143328850;

/** A private copy of a fixture tree whose counters the test may change. */
function copyFixture(t: { after(fn: () => void): void }, name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rapl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

const setUj = (root: string, zone: string, uj: number | string): void =>
  writeFileSync(path.join(root, zone, 'energy_uj'), `${uj}\n`);

test('one Intel package: counts only intel-rapl:0, not subzones, psys or the MMIO copy', (t) => {
  const root = copyFixture(t, 'intel-1pkg');
  let clock = 1000;
  const r = createRaplReader({ powercapRoot: root, now: () => clock });
  assert.equal(r.available, true);
  assert.equal(r.reason, null);
  assert.deepEqual(r.zones, ['intel-rapl:0']);
  assert.deepEqual(r.read(), { t: 1000, energyJ: 0 });
  setUj(root, 'intel-rapl:0', 1_000_000_000 + 2_500_000); // +2.5 J
  for (const other of ['intel-rapl:0:0', 'intel-rapl:1', 'intel-rapl-mmio:0']) setUj(root, other, 9e11);
  clock = 2000;
  assert.deepEqual(r.read(), { t: 2000, energyJ: 2.5 });
  setUj(root, 'intel-rapl:0', 1_000_000_000 + 4_000_000);
  assert.equal(r.read()?.energyJ, 4); // cumulative since creation
});

test('wraparound: a counter that went down wrapped once (delta = max - prev + cur)', (t) => {
  const root = copyFixture(t, 'wraparound');
  const r = createRaplReader({ powercapRoot: root });
  assert.equal(r.available, true);
  setUj(root, 'intel-rapl:0', 1_000_000);
  const expected = (IM - 262143000000 + 1_000_000) / 1e6;
  assert.ok(Math.abs((r.read()?.energyJ ?? NaN) - expected) < 1e-9, `expected ${expected}`);
  setUj(root, 'intel-rapl:0', 3_000_000);
  assert.ok(Math.abs((r.read()?.energyJ ?? NaN) - (expected + 2)) < 1e-9);
});

test('two AMD packages are summed, each with its own wraparound', (t) => {
  const root = copyFixture(t, 'amd-2pkg');
  const r = createRaplReader({ powercapRoot: root });
  assert.equal(r.available, true, r.reason ?? '');
  assert.deepEqual(r.zones, ['intel-rapl:0', 'intel-rapl:1']);
  setUj(root, 'intel-rapl:0', 5_000_000_000 + 10_000_000); // +10 J
  setUj(root, 'intel-rapl:1', 7_000_000_000 + 30_000_000); // +30 J
  setUj(root, 'intel-rapl:0:0', 0); // subzone changes are ignored
  assert.equal(r.read()?.energyJ, 40);
  setUj(root, 'intel-rapl:1', 5_000_000); // wrapped: 65532610987 - 7030000000 + 5000000 µJ
  assert.ok(Math.abs((r.read()?.energyJ ?? NaN) - (40 + (65532610987 - 7030000000 + 5000000) / 1e6)) < 1e-9);
});

test('absent powercap or no package zone: unavailable with a reason, read() is null', () => {
  const cases: Array<[string, RegExp]> = [
    [path.join(FIXTURES, 'does-not-exist'), /no powercap folder .* \(no RAPL driver loaded, or not Linux\)/],
    [path.join(FIXTURES, 'no-zones'), /no RAPL package zones/],
    [path.join(FIXTURES, 'only-psys'), /no RAPL package zones/],
  ];
  for (const [root, re] of cases) {
    const r = createRaplReader({ powercapRoot: root });
    assert.equal(r.available, false, root);
    assert.match(r.reason ?? '', re);
    assert.equal(r.read(), null);
    assert.deepEqual(r.zones, []);
  }
});

test('garbage content makes the reader unavailable, never a guess', () => {
  const cases: Array<[string, RegExp]> = [
    ['garbage', /energy_uj does not hold a non-negative integer: "lots of joules"/],
    ['garbage-max', /max_energy_range_uj does not hold a non-negative integer/],
    ['over-max', /exceeds max_energy_range_uj/],
    ['unreadable-dir', /energy_uj could not be read: EISDIR/],
  ];
  for (const [name, re] of cases) {
    const r = createRaplReader({ powercapRoot: path.join(FIXTURES, name) });
    assert.equal(r.available, false, name);
    assert.match(r.reason ?? '', re, name);
    assert.equal(r.read(), null, name);
  }
});

test('EACCES (root-only energy_uj) gives a clear reason (simulated, so it also bites as root)', () => {
  const readText = (p: string): string => {
    if (p.endsWith('energy_uj')) throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' });
    return readFileSync(p, 'utf8');
  };
  const r = createRaplReader({ powercapRoot: path.join(FIXTURES, 'intel-1pkg'), readText });
  assert.equal(r.available, false);
  assert.match(r.reason ?? '', /intel-rapl:0\/energy_uj is not readable \(EACCES\).*root-only.*CVE-2020-8694/);
  assert.equal(r.read(), null);
});

test('mode 000 energy_uj is unreadable for a non-root user', (t) => {
  if (process.getuid?.() === 0) {
    t.skip('running as root: chmod does not stop root from reading; the simulated EACCES test covers this');
    return;
  }
  const root = copyFixture(t, 'intel-1pkg');
  chmodSync(path.join(root, 'intel-rapl:0', 'energy_uj'), 0o000);
  const r = createRaplReader({ powercapRoot: root });
  assert.equal(r.available, false);
  assert.match(r.reason ?? '', /not readable \(EACCES\)/);
});

test('a failed read returns null with a reason; the next good read spans the gap', (t) => {
  const root = copyFixture(t, 'intel-1pkg');
  const r = createRaplReader({ powercapRoot: root });
  setUj(root, 'intel-rapl:0', 'garbage');
  assert.equal(r.read(), null);
  assert.match(r.reason ?? '', /does not hold a non-negative integer/);
  assert.equal(r.available, true);
  setUj(root, 'intel-rapl:0', 1_000_000_000 + 7_000_000);
  assert.equal(r.read()?.energyJ, 7);
  assert.equal(r.reason, null);
});
