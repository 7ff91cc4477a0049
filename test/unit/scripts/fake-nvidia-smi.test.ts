import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execCapture, spawnProcess } from '../../../src/platform/exec.js';
import {
  GPU_QUERY_FIELDS,
  createGpuLineParser,
  parseComputeApps,
  parseGpuList,
  parseNvidiaTimestamp,
  parseQueryCsv,
  parseCell,
} from '../../../src/samplers/nvidia-smi-parse.js';
import { parseInventoryXml } from '../../../src/samplers/gpu-inventory.js';
import type { GpuSample } from '../../../src/samplers/types.js';
import type { FakeGpu, FakeProfile } from '../../../scripts/fake-smi/profile.mjs';
import { fixtureSections } from '../samplers/nvidia-smi-fixtures.js';

type ProfileLib = typeof import('../../../scripts/fake-smi/profile.mjs');
// Loaded from the repo (not .test-build) because the fake's library is plain JavaScript.
const lib = (await import(pathToFileURL(path.resolve('scripts/fake-smi/profile.mjs')).href)) as ProfileLib;
const FAKE = path.resolve('scripts/fake-nvidia-smi');

const ramp: FakeGpu = {
  uuid: 'GPU-11111111-2222-3333-4444-555555555555',
  name: 'Test GPU',
  powerLimitW: 300,
  memTotalMiB: 16384,
  segments: [
    { durationS: 1, fromW: 50, toW: 50 },
    { durationS: 2, fromW: 50, toW: 250 },
    { durationS: 1, fromW: 250, toW: 100 },
  ],
  migUuids: ['MIG-aaaaaaaa-0000-0000-0000-000000000001'],
};

let dir = '';
function writeProfile(p: FakeProfile): string {
  const file = path.join(dir, `profile-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(p));
  return file;
}
const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ ...process.env, ...extra });
const fake = (args: string[], extra: Record<string, string> = {}, timeoutMs = 10_000) =>
  execCapture(FAKE, args, { env: env(extra), timeoutMs });

/** Streams the fake until `enough(text)` holds, then kills it. */
function stream(args: string[], extra: Record<string, string>, enough: (out: string) => boolean): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawnProcess(FAKE, args, { env: env(extra), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (enough(out)) child.kill('SIGTERM');
    });
    child.on('close', (code) => resolve({ out, code }));
  });
}

before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'fake-smi-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('profile math', () => {
  it('powerAt is piecewise linear, holds the ends, and repeats on request', () => {
    const t0 = 1_000_000;
    assert.equal(lib.powerAt(ramp, t0 - 5000, t0), 50);
    assert.equal(lib.powerAt(ramp, t0 + 500, t0), 50);
    assert.equal(lib.powerAt(ramp, t0 + 2000, t0), 150);
    assert.equal(lib.powerAt(ramp, t0 + 3500, t0), 175);
    assert.equal(lib.powerAt(ramp, t0 + 99_000, t0), 100);
    assert.equal(lib.powerAt({ ...ramp, repeat: true }, t0 + 4000 + 2000, t0), 150);
  });
  it('energyBetween is the exact integral', () => {
    const t0 = 0;
    assert.equal(lib.energyBetween(ramp, 0, 1000, t0), 50);
    assert.equal(lib.energyBetween(ramp, 1000, 3000, t0), 300);
    assert.equal(lib.energyBetween(ramp, 3000, 4000, t0), 175);
    assert.equal(lib.energyBetween(ramp, 4000, 6000, t0), 200);
    assert.equal(lib.energyBetween(ramp, -2000, 0, t0), 100);
    assert.equal(lib.energyBetween({ ...ramp, repeat: true }, 0, 12_000, t0), 3 * 525);
    assert.equal(lib.energyBetween(ramp, 3000, 1000, t0), -300);
    let numeric = 0;
    for (let t = 500; t < 5500; t += 1) numeric += ((lib.powerAt(ramp, t, t0) + lib.powerAt(ramp, t + 1, t0)) / 2) * 0.001;
    assert.ok(Math.abs(numeric - lib.energyBetween(ramp, 500, 5500, t0)) < 1e-6);
  });
  it('validateProfile names the bad field', () => {
    assert.throws(() => lib.validateProfile({ gpus: [] }), /gpus must be a non-empty array/);
    assert.throws(() => lib.validateProfile({ gpus: [{ ...ramp, segments: [{ durationS: 0, fromW: 1, toW: 1 }] }] }), /segments\[0\]\.durationS/);
    assert.throws(() => lib.validateProfile({ gpus: [{ ...ramp, uuid: 'x' }] }), /uuid/);
  });
});

describe('one-shot queries', () => {
  it('prints header names with units and values with units, matching the profile', async () => {
    const t0 = Date.now() - 1500;
    const file = writeProfile({ t0, gpus: [ramp] });
    const r = await fake(['--query-gpu=timestamp,uuid,index,power.draw,clocks.sm,temperature.gpu,memory.total', '--format=csv'], { FAKE_SMI_PROFILE: file });
    assert.equal(r.code, 0);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'timestamp, uuid, index, power.draw [W], clocks.current.sm [MHz], temperature.gpu, memory.total [MiB]');
    assert.match(lines[1]!, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{3}, GPU-1111.*, 0, \d+\.\d\d W, \d+ MHz, \d+, 16384 MiB$/);
    const row = parseQueryCsv(r.stdout).rows[0]!;
    const t = parseNvidiaTimestamp(row['timestamp']!)!;
    assert.ok(Math.abs(parseCell(row['power.draw'])! - lib.powerAt(ramp, t, t0)) < 0.2 + 0.006);
  });
  it('uses the default 2-GPU profile without env, honours -i and -L', async () => {
    const all = await fake(['--query-gpu=index,uuid', '--format=csv,noheader']);
    assert.equal(all.stdout.trim().split('\n').length, 2);
    const one = await fake(['-i', '1', '--query-gpu=index', '--format=csv,noheader']);
    assert.equal(one.stdout, '1\n');
    const list = parseGpuList((await fake(['-L'], { FAKE_SMI_PROFILE: writeProfile({ gpus: [ramp] }) })).stdout);
    assert.deepEqual(list[0]?.migUuids, ramp.migUuids);
  });
  it('answers compute-apps from FAKE_SMI_COMPUTE_APPS', async () => {
    const apps = [{ pid: 4242, gpuUuid: ramp.uuid, usedMiB: 2048 }];
    const r = await fake(['--query-compute-apps=pid,gpu_uuid,used_gpu_memory', '--format=csv,noheader,nounits'], {
      FAKE_SMI_PROFILE: writeProfile({ gpus: [ramp] }),
      FAKE_SMI_COMPUTE_APPS: JSON.stringify(apps),
    });
    assert.deepEqual(parseComputeApps(r.stdout), apps);
  });
  it('-q -x parses like a real document; old-driver uses the legacy power section', async () => {
    for (const mode of ['', 'old-driver']) {
      const r = await fake(['-q', '-x'], { FAKE_SMI_PROFILE: writeProfile({ gpus: [ramp] }), FAKE_SMI_MODE: mode });
      const inv = parseInventoryXml(r.stdout);
      assert.deepEqual(inv.warnings, []);
      assert.equal(inv.devices[0]?.powerLimitW, 300);
      assert.equal(inv.devices[0]?.memTotalMiB, 16384);
      assert.equal(inv.migDeviceCount[ramp.uuid], 1);
      assert.equal(r.stdout.includes('<power_readings>'), mode === 'old-driver');
    }
  });
  it('rejects unknown fields and bad profiles with the real text and exit codes', async () => {
    const r = await fake(['--query-gpu=timestamp,bogus.field', '--format=csv']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, 'Field "bogus.field" is not a valid field to query.\n\n');
    const bad = await fake(['--query-gpu=index', '--format=csv'], { FAKE_SMI_PROFILE: writeProfile({ gpus: [] } as FakeProfile) });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /gpus must be a non-empty array/);
  });
});

describe('failure modes', () => {
  it('nodriver and nolib print fixture 08 byte for byte and exit 9 / 12', async () => {
    const [a, b] = fixtureSections('08_no-driver_nvidia-smi-550.163.01_failure-output.txt');
    for (const [mode, section, code] of [['nodriver', a!, 9], ['nolib', b!, 12]] as const) {
      const r = await fake(['--query-gpu=index,power.draw', '--format=csv,noheader,nounits'], { FAKE_SMI_MODE: mode });
      assert.equal(r.code, code);
      assert.equal(r.stdout, section.text);
      assert.equal(Buffer.byteLength(section.text), Number(/stdout_bytes=(\d+)/.exec(section.marker)?.[1]));
      assert.equal(r.stderr, '');
    }
  });
  it('old-driver rejects power.draw.instant like a pre-530 driver', async () => {
    const r = await fake([`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], { FAKE_SMI_MODE: 'old-driver' });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, 'Field "power.draw.instant" is not a valid field to query.\n\n');
  });
  it('slow-inventory:MS answers -q -x only after MS (as a loaded host\'s nvidia-smi), the same document', async () => {
    const t0 = Date.now();
    const r = await fake(['-q', '-x'], { FAKE_SMI_PROFILE: writeProfile({ gpus: [ramp] }), FAKE_SMI_MODE: 'slow-inventory:400' });
    assert.ok(Date.now() - t0 >= 400, 'not before the delay');
    assert.equal(r.code, 0);
    assert.equal(parseInventoryXml(r.stdout).devices[0]?.powerLimitW, 300);
  });
  it('hang prints nothing and never exits', async () => {
    const r = await fake(['--query-gpu=index', '--format=csv'], { FAKE_SMI_MODE: 'hang' }, 700);
    assert.equal(r.timedOut, true);
    assert.equal(r.stdout, '');
  });
  it('die-after:N exits after N ticks; garbage interleaves Xid lines and special cells', async () => {
    const r = await fake([`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits', '-lms', '20'], {
      FAKE_SMI_MODE: 'garbage,die-after:8',
    });
    assert.equal(r.code, 1);
    const p = createGpuLineParser(GPU_QUERY_FIELDS).push(r.stdout);
    assert.equal(p.samples.length, 16);
    assert.ok(p.samples.some((s) => s.powerW === null));
    assert.ok(p.rejected.some((l) => l.startsWith('Xid')));
  });
});

describe('streaming', () => {
  it('-lms: header once, one row per GPU per tick, rising timestamps, power integrates to the ground truth', async () => {
    const t0 = Date.now();
    const file = writeProfile({ t0, gpus: [ramp, { ...ramp, uuid: 'GPU-99999999-2222-3333-4444-555555555555' }] });
    const { out } = await stream(['--query-gpu=timestamp,uuid,power.draw', '--format=csv,nounits', '-lms', '25'], { FAKE_SMI_PROFILE: file },
      (o) => o.split('\n').length > 2 * 40 + 2);
    const lines = out.split('\n');
    assert.equal(lines[0], 'timestamp, uuid, power.draw [W]');
    assert.equal(lines.filter((l) => l.startsWith('timestamp')).length, 1);
    const samples: GpuSample[] = createGpuLineParser(['timestamp', 'uuid', 'power.draw']).push(lines.slice(1).join('\n')).samples;
    const mine = samples.filter((s) => s.uuid === ramp.uuid);
    assert.ok(mine.length >= 40);
    let est = 0;
    for (let i = 1; i < mine.length; i++) {
      const a = mine[i - 1]!;
      const b = mine[i]!;
      assert.ok(b.t > a.t);
      est += (((a.powerW ?? 0) + (b.powerW ?? 0)) / 2) * ((b.t - a.t) / 1000);
    }
    const truth = lib.energyBetween(ramp, mine[0]!.t, mine[mine.length - 1]!.t, t0);
    assert.ok(Math.abs(est - truth) / truth < 0.01, `estimate ${est} vs truth ${truth}`);
  });
  it('-l 1 streams in seconds and keeps running until killed', async () => {
    const { out, code } = await stream(['--query-gpu=index', '--format=csv,noheader', '-l', '1'], {}, (o) => o.split('\n').length > 2);
    assert.equal(out.startsWith('0\n1\n'), true);
    assert.notEqual(code, 0);
  });
});
