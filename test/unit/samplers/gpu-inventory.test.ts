import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseInventoryXml, readGpuInventory } from '../../../src/samplers/gpu-inventory.js';
import { readFixture } from './nvidia-smi-fixtures.js';

const FAKE = path.resolve('scripts/fake-nvidia-smi');
const T4_UUID = 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a';
let dir = '';
before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gpu-inv-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A command running the fake with env; `-q -x` answered from `xmlFile` (or failing with exit 3) when given. */
function command(env: Record<string, string>, q?: { xmlFile?: string; fail?: boolean }): string {
  const file = path.join(dir, `smi-${Math.random().toString(36).slice(2)}`);
  const lines = ['#!/bin/sh', ...Object.entries(env).map(([k, v]) => `export ${k}='${v}'`)];
  if (q?.xmlFile) lines.push(`if [ "$1" = "-q" ]; then cat '${q.xmlFile}'; exit 0; fi`);
  if (q?.fail) lines.push('if [ "$1" = "-q" ]; then echo "Unable to determine the device handle"; exit 3; fi');
  lines.push(`exec '${FAKE}' "$@"`, '');
  writeFileSync(file, lines.join('\n'));
  chmodSync(file, 0o755);
  return file;
}

function writeJson(v: unknown): string {
  const file = path.join(dir, `p-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(v));
  return file;
}

describe('parseInventoryXml on the three power layouts', () => {
  const cases = [
    ['05_a100-sxm4-80gb_drv535.54.03_q-x_dtd-v12.xml', 'NVIDIA A100-SXM4-80GB', 'GPU-513536b6-7d19-9063-b049-1e69664bb298', 500, 500, 81920, '535.54.03', '12.2', 4],
    ['06_rtx-3080_drv595.58.03_q-x_dtd-v13.xml', 'NVIDIA GeForce RTX 3080', 'GPU-19d6d965-2acc-f646-00f8-4c76979aabb4', 320, 336, 10240, '595.58.03', '13.2', 0],
    ['07_tesla-t4_drv515.105.01_q-x_dtd-v11.xml', 'Tesla T4', T4_UUID, 70, 70, 15360, '515.105.01', '11.7', 0],
  ] as const;
  for (const [file, name, uuid, limit, max, mem, drv, cuda, migs] of cases) {
    it(file, () => {
      const inv = parseInventoryXml(readFixture(file));
      assert.deepEqual(inv.warnings, []);
      assert.deepEqual(inv.devices, [
        { uuid, index: 0, name, powerLimitW: limit, maxPowerLimitW: max, memTotalMiB: mem, driverVersion: drv, cudaVersion: cuda, migUuids: [] },
      ]);
      assert.equal(inv.migDeviceCount[uuid], migs);
    });
  }
  it('returns warnings, never throws, on broken XML', () => {
    for (const bad of ['', '<nvidia_smi_log><gpu>', '<other/>', 'NVIDIA-SMI has failed', '<nvidia_smi_log><gpu><product_name>x</product_name></gpu></nvidia_smi_log>']) {
      const inv = parseInventoryXml(bad);
      assert.deepEqual(inv.devices, []);
      assert.ok(inv.warnings.length > 0, bad);
    }
  });
});

describe('readGpuInventory', () => {
  it('reads the fake: default profile, two GPUs', async () => {
    const inv = await readGpuInventory({ command: FAKE });
    assert.deepEqual(inv.warnings, []);
    assert.deepEqual(inv.devices.map((d) => [d.index, d.powerLimitW, d.memTotalMiB]), [[0, 400, 81920], [1, 400, 81920]]);
    assert.equal(inv.driverVersion, '550.54.15');
  });
  it('lists MIG device UUIDs through -L when the XML has none', async () => {
    const migUuids = ['MIG-11111111-0000-0000-0000-000000000001', 'MIG-11111111-0000-0000-0000-000000000002'];
    const profile = writeJson({ gpus: [{ uuid: 'GPU-abc-1', name: 'A100', powerLimitW: 400, memTotalMiB: 40960, segments: [{ durationS: 1, fromW: 50, toW: 50 }], migUuids }] });
    const inv = await readGpuInventory({ command: command({ FAKE_SMI_PROFILE: profile }) });
    assert.deepEqual(inv.devices[0]?.migUuids, migUuids);
  });
  it('fills a field the XML lacks from the CSV query', async () => {
    const xml = path.join(dir, 't4-no-max.xml');
    writeFileSync(xml, readFixture('07_tesla-t4_drv515.105.01_q-x_dtd-v11.xml').replace(/\s*<max_power_limit>[^<]*<\/max_power_limit>/, ''));
    assert.equal(parseInventoryXml(readFixture('07_tesla-t4_drv515.105.01_q-x_dtd-v11.xml')).devices[0]?.maxPowerLimitW, 70);
    const profile = writeJson({ gpus: [{ uuid: T4_UUID, name: 'Tesla T4', powerLimitW: 65, memTotalMiB: 15360, segments: [{ durationS: 1, fromW: 20, toW: 20 }] }] });
    const inv = await readGpuInventory({ command: command({ FAKE_SMI_PROFILE: profile }, { xmlFile: xml }) });
    assert.equal(inv.devices.length, 1);
    assert.equal(inv.devices[0]?.name, 'Tesla T4');
    assert.equal(inv.devices[0]?.powerLimitW, 70, 'XML value kept');
    assert.equal(inv.devices[0]?.maxPowerLimitW, 65, 'from the CSV');
  });
  it('builds devices from the CSV query when -q -x fails', async () => {
    const inv = await readGpuInventory({ command: command({}, { fail: true }) });
    assert.equal(inv.devices.length, 2);
    assert.equal(inv.devices[1]?.index, 1);
    assert.equal(inv.devices[1]?.maxPowerLimitW, 400);
    assert.match(inv.warnings.join('\n'), /-q -x: exit 3 \(Unable to determine the device handle\)/);
  });
  it('returns no devices and one warning when nvidia-smi is missing, has no driver, or hangs', async () => {
    const missing = await readGpuInventory({ command: path.join(os.tmpdir(), 'no-such-nvidia-smi-here') });
    assert.deepEqual(missing.devices, []);
    assert.match(missing.warnings.join(), /not found.*ENOENT/);
    const nodriver = await readGpuInventory({ command: command({ FAKE_SMI_MODE: 'nodriver' }) });
    assert.deepEqual(nodriver.devices, []);
    assert.deepEqual(nodriver.warnings.length, 1);
    assert.match(nodriver.warnings[0]!, /exit 9 \(NVIDIA-SMI has failed/);
    const hang = await readGpuInventory({ command: command({ FAKE_SMI_MODE: 'hang' }), timeoutMs: 300 });
    assert.deepEqual(hang.devices, []);
    assert.match(hang.warnings.join(), /timed out/);
  });
});
