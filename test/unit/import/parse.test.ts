import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkEpochHeader, detectMemLayout, parseEpochLine, parseMemLine } from '../../../src/import/aux-csv.js';
import { detectLayout, parseGpuLine, type GpuLayout } from '../../../src/import/gpu-csv.js';
import { detectGroupSize, syntheticUuid } from '../../../src/import/gpu-devices.js';
import { formatLocal, parseLogTimestamp } from '../../../src/import/timestamps.js';

const layout = (line: string): GpuLayout => {
  const l = detectLayout(line);
  assert.notEqual(typeof l, 'string', String(l));
  return l as GpuLayout;
};

test('both timestamp forms of the traces, psutil microseconds and Python str(datetime) parse to local ms', () => {
  const a = parseLogTimestamp('2022-12-05 15:00:16.247');
  assert.equal(a, new Date(2022, 11, 5, 15, 0, 16, 247).getTime());
  assert.equal(parseLogTimestamp('2023/03/08 17:03:51.380'), new Date(2023, 2, 8, 17, 3, 51, 380).getTime());
  assert.equal(parseLogTimestamp('2022-12-05T15:00:18.317879'), new Date(2022, 11, 5, 15, 0, 18, 317).getTime());
  assert.equal(parseLogTimestamp('2023-05-10 12:34:56'), new Date(2023, 4, 10, 12, 34, 56).getTime());
  for (const bad of ['2023-02-30 10:00:00', '12:00:00', '2023/03/08', 'yesterday', '', '0000-01-01 00:00:00', '1970-01-01 00:00:01.000', '2100-01-01 00:00:00']) {
    assert.equal(parseLogTimestamp(bad), null, bad);
  }
  assert.equal(parseLogTimestamp(formatLocal(a as number)), a);
  assert.equal(parseLogTimestamp(formatLocal(a as number, 'T', 6)), a);
});

test('the study renamed header and the nvidia-smi header with units map to the same canonical fields', () => {
  const study = layout('timestamp,gpu_name,gpu_usage,gpu_memory_usage,gpu_total_memory,gpu_memory_used,gpu_power_draw,gpu_max_power,gpu_temperature');
  const smi = layout('timestamp, name, utilization.gpu [%], utilization.memory [%], memory.total [MiB], memory.used [MiB], power.draw [W], power.max_limit [W], temperature.gpu');
  assert.deepEqual(study.fields, smi.fields);
  assert.equal(study.hasHeader, true);
  const row = parseGpuLine('2023/03/08 17:03:52.385, NVIDIA GeForce RTX 3090, 7 %, 3 %, 24268 MiB, 23655 MiB, 38.27 W, 350.00 W, 30', smi);
  assert.ok(typeof row !== 'string');
  assert.equal(row.values['power.draw'], 38.27);
  assert.equal(row.values['utilization.gpu'], 7);
  assert.equal(row.values['power.max_limit'], 350);
  assert.equal(row.name, 'NVIDIA GeForce RTX 3090');
  assert.equal(row.uuid, null);
});

test('headerless logs: the study layout (9 columns) and the daemon query (12) are recognised; others are refused', () => {
  const nine = layout('2022-12-05 15:00:16.247,NVIDIA GeForce RTX 3090,0 %,0 %,24268 MiB,23657 MiB,10.11 W,350.00 W,31');
  assert.equal(nine.hasHeader, false);
  assert.equal(nine.fields[6], 'power.draw');
  const twelve = layout('2026/07/14 08:12:53.353, GPU-abc, 0, 71.23, 70.1, 350.00, 87, 40, 1024, 81559, 45, 1980');
  assert.equal(twelve.fields[3], 'power.draw');
  assert.match(String(detectLayout('2026/07/14 08:12:53.353, 1, 2')), /no header and 3 columns/);
  assert.match(String(detectLayout('time,name,watts')), /no timestamp column/);
  assert.match(String(detectLayout('timestamp,name,watts')), /no power.draw column/);
});

test('special values are null; garbage numbers, bad timestamps and wrong column counts are reasons', () => {
  const l = layout('timestamp, name, power.draw [W], utilization.gpu [%]');
  const ok = parseGpuLine('2023/03/08 17:03:52.385, X, [N/A], [Not Supported]', l);
  assert.ok(typeof ok !== 'string');
  assert.equal(ok.values['power.draw'], null);
  assert.equal(ok.values['utilization.gpu'], null);
  assert.match(String(parseGpuLine('2023/03/08 17:03:52.385, X, 12..5 W, 3 %', l)), /column "power.draw": not a number: "12..5 W"/);
  assert.match(String(parseGpuLine('2023/13/08 17:03:52.385, X, 12 W, 3 %', l)), /bad timestamp/);
  assert.match(String(parseGpuLine('2023/03/08 17:03:52.385, X, 12 W', l)), /expected 4 columns, got 3/);
});

test('GPU groups: a gpu_name cycle, a run of near-equal timestamps, or one GPU', () => {
  const byName = [0, 0, 1000, 1000, 2000, 2000].map((t, i) => ({ t: t + i, name: i % 2 ? 'B' : 'A' }));
  assert.equal(detectGroupSize(byName), 2);
  const three = [0, 1, 2, 1000, 1001, 1003, 2000, 2001].map((t) => ({ t, name: 'same' }));
  assert.equal(detectGroupSize(three), 3);
  const single = [0, 1000, 2001, 3000, 4002].map((t) => ({ t, name: 'same' }));
  assert.equal(detectGroupSize(single), 1);
  assert.equal(syntheticUuid('/x/log.csv', 0), syntheticUuid('/x/log.csv', 0));
  assert.notEqual(syntheticUuid('/x/log.csv', 0), syntheticUuid('/x/log.csv', 1));
  assert.match(syntheticUuid('/x/log.csv', 0), /^IMPORTED-[0-9a-f]{40}$/);
});

test('psutil and epoch CSVs: columns by name, "None" as null, garbage as reasons', () => {
  const m = detectMemLayout('timestamp,cpu usage (%),memory usage (MB),temperature (Celsius)');
  assert.ok(typeof m !== 'string');
  assert.deepEqual(parseMemLine('2022-12-05T15:00:18.317879,5.533,13052.719,29.0', m), {
    t: new Date(2022, 11, 5, 15, 0, 18, 317).getTime(), memMB: 13052.719, cpuPct: 5.533,
  });
  assert.equal((parseMemLine('2022-12-05T15:00:18.317879,None,None,None', m) as { memMB: null }).memMB, null);
  assert.match(String(parseMemLine('2022-12-05T15:00:18,1,lots,2', m)), /memory usage \(MB\): not a number/);
  assert.match(String(detectMemLayout('a,b,c')), /expected a header/);
  assert.equal(checkEpochHeader('epoch,end_time'), null);
  assert.match(String(checkEpochHeader('epoch;end_time')), /expected the header/);
  assert.deepEqual(parseEpochLine('3,2023-05-10 12:34:56.123456'), { epoch: 3, end: new Date(2023, 4, 10, 12, 34, 56, 123).getTime() });
  assert.match(String(parseEpochLine('x,2023-05-10 12:34:56')), /epoch: not a whole number/);
  assert.match(String(parseEpochLine('1,soon')), /bad end_time/);
});
