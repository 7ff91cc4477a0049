import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GPU_QUERY_FIELDS,
  GPU_QUERY_FIELDS_NO_INSTANT,
  SPECIAL_VALUES,
  canonicalFieldName,
  cellsToGpuSample,
  createGpuLineParser,
  invalidQueryField,
  parseCell,
  parseComputeApps,
  parseGpuList,
  parseNvidiaTimestamp,
  parseQueryCsv,
} from '../../../src/samplers/nvidia-smi-parse.js';
import { fixtureNames, fixtureSections, readFixture } from './nvidia-smi-fixtures.js';

const QUERY_FIXTURES: Record<string, { t: string; powerW: number; instW: number; util: number | null; mem: number; sm: number }> = {
  '01_h100-80gb-hbm3_drv590.48.01_query-gpu_load.csv': { t: '2026/07/14 08:12:53.353', powerW: 631.95, instW: 625.68, util: 100, mem: 19818, sm: 1980 },
  '02_h100-mig_drv590.48.01_query-gpu_load.csv': { t: '2026/07/14 09:00:44.579', powerW: 433.78, instW: 447.35, util: null, mem: 11125, sm: 1980 },
  '03_rtx-2080-super_drv610.57.04_query-gpu_load.csv': { t: '2026/08/12 21:54:00.311', powerW: 98.14, instW: 98.14, util: 8, mem: 815, sm: 2070 },
};

describe('field lists', () => {
  it('requests the stream fields, with a variant without power.draw.instant', () => {
    assert.equal(GPU_QUERY_FIELDS.length, 12);
    assert.ok(GPU_QUERY_FIELDS.includes('power.draw.instant'));
    assert.deepEqual(GPU_QUERY_FIELDS_NO_INSTANT, GPU_QUERY_FIELDS.filter((f) => f !== 'power.draw.instant'));
    assert.equal(canonicalFieldName('clocks.current.sm [MHz]'), 'clocks.current.sm');
    assert.equal(canonicalFieldName('clocks.sm'), 'clocks.current.sm');
    assert.equal(invalidQueryField('Field "power.draw.instant" is not a valid field to query.\n\n'), 'power.draw.instant');
    assert.equal(invalidQueryField('power.draw, 12'), null);
  });
});

describe('parseNvidiaTimestamp', () => {
  it('reads local time to the millisecond', () => {
    assert.equal(parseNvidiaTimestamp('2026/07/14 08:12:53.353'), new Date(2026, 6, 14, 8, 12, 53, 353).getTime());
    assert.equal(parseNvidiaTimestamp('2026/07/14 08:12:53'), new Date(2026, 6, 14, 8, 12, 53, 0).getTime());
    assert.equal(parseNvidiaTimestamp('2026/07/14 08:12:53.5'), new Date(2026, 6, 14, 8, 12, 53, 500).getTime());
  });
  it('returns null for malformed or impossible times', () => {
    for (const bad of ['', 'N/A', '[N/A]', '2026-07-14 08:12:53.353', '2026/13/01 00:00:00.000', '2026/02/30 00:00:00.000',
      '2026/07/14 24:00:00.000', '2026/07/14 08:60:00.000', '2026/07/14 08:12:53.3534', '2026/07/14T08:12:53', 'GPU-1']) {
      assert.equal(parseNvidiaTimestamp(bad), null, bad);
    }
  });
});

describe('parseCell', () => {
  it('maps every special value to null', () => {
    for (const s of [...SPECIAL_VALUES, ' [N/A] ', '[Some Future Error]', 'Disabled', '0x0000', 'NaN', 'Infinity']) {
      assert.equal(parseCell(s), null, s);
    }
    assert.equal(parseCell(undefined), null);
  });
  it('reads numbers with or without units', () => {
    assert.equal(parseCell('350.00 W'), 350);
    assert.equal(parseCell('2566 MiB'), 2566);
    assert.equal(parseCell('45 %'), 45);
    assert.equal(parseCell('1980 MHz'), 1980);
    assert.equal(parseCell(' 59 '), 59);
    assert.equal(parseCell('-3.5'), -3.5);
    assert.equal(parseCell('12 apples'), null);
  });
});

describe('fixtures 01–03: --query-gpu with header and units', () => {
  for (const [name, want] of Object.entries(QUERY_FIXTURES)) {
    it(name, () => {
      const [section, ...rest] = fixtureSections(name);
      assert.ok(section);
      assert.equal(rest.length, 0);
      const q = parseQueryCsv(section.text);
      assert.equal(q.rows.length, 1);
      assert.deepEqual(q.rejected, []);
      const row = q.rows[0]!;
      assert.equal(Object.keys(row).length, q.headers.length);
      // Every column with a unit holds a number with that unit or a special value.
      q.headers.forEach((h, i) => {
        const cell = row[q.fields[i]!]!;
        if (/\[(W|MiB|%|MHz)\]$/.test(h)) assert.ok(parseCell(cell) !== null || SPECIAL_VALUES.includes(cell) || cell.startsWith('['), `${h}=${cell}`);
      });
      const s = cellsToGpuSample((f) => row[f]);
      assert.ok(s);
      assert.equal(s.t, parseNvidiaTimestamp(want.t));
      assert.equal(s.uuid, 'GPU-00000000-0000-0000-0000-000000000000');
      assert.equal(s.index, 0);
      assert.equal(s.powerW, want.powerW);
      assert.equal(s.powerInstantW, want.instW);
      assert.equal(s.utilGpuPct, want.util);
      assert.equal(s.memUsedMiB, want.mem);
      assert.equal(s.smClockMHz, want.sm);
    });
    it(`${name} through the stream parser (header line rejected, row accepted)`, () => {
      const text = fixtureSections(name)[0]!.text;
      const fields = parseQueryCsv(text).fields;
      const r = createGpuLineParser(fields).push(text);
      assert.equal(r.samples.length, 1);
      assert.equal(r.samples[0]!.powerW, want.powerW);
      assert.equal(r.rejected.length, 1);
    });
  }
});

describe('fixture 04: compute-apps, pmon, dmon', () => {
  const name = '04_h100-80gb-hbm3_drv590.48.01_compute-apps_pmon_dmon_load.txt';
  it('reads the compute-apps section', () => {
    const [apps] = fixtureSections(name);
    const got = parseComputeApps(apps!.text);
    assert.deepEqual(got.map((a) => [a.pid, a.usedMiB]), [[11327, 2566], [11328, 1542], [11345, 15690]]);
    assert.ok(got.every((a) => a.gpuUuid === 'GPU-00000000-0000-0000-0000-000000000000'));
  });
  it('rejects pmon and dmon text in the stream parser', () => {
    const [, pmon, dmon] = fixtureSections(name);
    for (const s of [pmon!, dmon!]) {
      const r = createGpuLineParser(GPU_QUERY_FIELDS).push(s.text);
      assert.equal(r.samples.length, 0);
      assert.ok(r.rejected.length > 0);
    }
  });
});

describe('every fixture is safe input for every parser', () => {
  for (const name of fixtureNames()) {
    it(name, () => {
      const sections = fixtureSections(name);
      const texts = sections.length > 0 ? sections.map((s) => s.text) : [readFixture(name)];
      for (const text of texts) {
        const p = createGpuLineParser(GPU_QUERY_FIELDS);
        const r = p.push(text);
        const e = p.end();
        // The stream fields never match a fixture's full-width rows.
        assert.equal(r.samples.length + e.samples.length, 0);
        assert.ok(Array.isArray(parseComputeApps(text)));
        assert.ok(Array.isArray(parseQueryCsv(text).rows));
      }
    });
  }
});

describe('createGpuLineParser on the stream', () => {
  const uuid = 'GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77';
  const row = (ts: string, power = '250.50') => `${ts}, ${uuid}, 0, ${power}, 251.00, 400.00, 97, 40, 30000, 81920, 61, 1410`;

  it('joins lines split across chunks and handles \\r\\n', () => {
    const p = createGpuLineParser(GPU_QUERY_FIELDS);
    const line = row('2026/07/14 08:12:53.353') + '\r\n' + row('2026/07/14 08:12:53.553') + '\r\n';
    const samples = [];
    for (let i = 0; i < line.length; i += 7) samples.push(...p.push(line.slice(i, i + 7)).samples);
    assert.equal(samples.length, 2);
    assert.equal(samples[1]!.t - samples[0]!.t, 200);
    assert.deepEqual(samples[0], {
      t: parseNvidiaTimestamp('2026/07/14 08:12:53.353'), uuid, index: 0, powerW: 250.5, powerInstantW: 251,
      powerLimitW: 400, utilGpuPct: 97, utilMemPct: 40, memUsedMiB: 30000, memTotalMiB: 81920, tempC: 61, smClockMHz: 1410,
    });
  });

  it('returns interleaved text, wrong widths and bad timestamps as rejected, never throws', () => {
    const p = createGpuLineParser(GPU_QUERY_FIELDS);
    const text = [
      GPU_QUERY_FIELDS.join(', '),
      'Xid (PCI:0000:01:00): 79, pid=1234, GPU has fallen off the bus.',
      row('2026/07/14 08:12:53.353'),
      row('2026/07/14 08:12:53.353') + ', extra',
      row('2026/07/14 08:12:53.353').split(', ').slice(0, 5).join(', '),
      row('not a time'),
      row('2026/07/14 08:12:53.353').replace(uuid, '[N/A]'),
      '',
      row('2026/07/14 08:12:54.353', '[GPU is lost]'),
    ].join('\n');
    const r = p.push(text + '\n');
    assert.equal(r.samples.length, 2);
    assert.equal(r.samples[1]!.powerW, null);
    assert.equal(r.rejected.length, 6);
  });

  it('turns every special value into null in every numeric column', () => {
    for (const special of SPECIAL_VALUES) {
      const cells = row('2026/07/14 08:12:53.353').split(', ').map((c, i) => (i >= 2 ? special : c));
      const r = createGpuLineParser(GPU_QUERY_FIELDS).push(cells.join(', ') + '\n');
      assert.equal(r.samples.length, 1, special);
      const s = r.samples[0]!;
      for (const [k, v] of Object.entries(s)) if (k !== 't' && k !== 'uuid') assert.equal(v, null, `${special} ${k}`);
    }
  });

  it('keeps a last line without newline until end()', () => {
    const p = createGpuLineParser(GPU_QUERY_FIELDS);
    assert.equal(p.push(row('2026/07/14 08:12:53.353')).samples.length, 0);
    assert.equal(p.end().samples.length, 1);
    assert.equal(p.end().samples.length, 0);
  });

  it('survives random bytes and extremely long lines with bounded memory', () => {
    const p = createGpuLineParser(GPU_QUERY_FIELDS, 1024);
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let junk = '';
    for (let i = 0; i < 20_000; i++) junk += String.fromCharCode(Math.floor(rnd() * 256));
    const r1 = p.push(junk + '\n');
    assert.equal(r1.samples.length, 0);
    assert.ok(r1.rejected.every((l) => l.length < 400));
    const huge = 'x'.repeat(5000);
    const r2 = p.push(huge);
    assert.equal(r2.rejected.length, 1);
    assert.equal(p.push(huge).rejected.length, 0);
    const r3 = p.push('\n' + row('2026/07/14 08:12:53.353') + '\n');
    assert.equal(r3.samples.length, 1);
  });

  it('gives the samples of cellsToGpuSample over the same cells, line by line, whatever the cells hold', () => {
    // The stream parser's fast path (positions, remembered seconds) against the by-name reading of the same line.
    const byName = (fields: readonly string[], line: string) => {
      const cells = line.split(',').map((c) => c.trim());
      if (cells.length !== fields.length) return null;
      const at = new Map(fields.map((f, i) => [canonicalFieldName(f), i]));
      return cellsToGpuSample((f) => (at.has(f) ? cells[at.get(f) as number] : undefined));
    };
    const times = ['2026/07/14 08:12:53.353', '2026/07/14 08:12:53', '2026/07/14 08:12:53.3', '2026/07/14 08:12:53.35',
      '2026/07/14 08:12:53.3531', '2026/07/14 08:12:53.', '2026/07/14 08:12:53x', '2026/02/30 08:12:53.100', '2026/07/14 24:00:00',
      ' 2026/07/14 08:12:54.001 ', '2026/7/14 08:12:53', '2026/07/14 08:12:5', '', '2026/03/29 02:30:00.500', '2026/10/25 02:30:00.500'];
    const cellsPool = ['250.50', '[N/A]', '', ' 97 ', '1e3', 'x', '-0', '400.00 W', '[GPU is lost]', '61.5'];
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (const fields of [GPU_QUERY_FIELDS, GPU_QUERY_FIELDS_NO_INSTANT, ['uuid', 'timestamp', 'power.draw']]) {
      const p = createGpuLineParser(fields);
      let matched = 0;
      for (let k = 0; k < 3000; k++) {
        const cells = fields.map((f) => (f === 'timestamp' ? times[rnd(times.length)] as string
          : f === 'uuid' ? (rnd(10) === 0 ? 'GPU-bad id' : uuid) : cellsPool[rnd(cellsPool.length)] as string));
        if (rnd(20) === 0) cells.pop();
        const line = cells.join(', ');
        const want = byName(fields, line);
        const got = p.push(line + '\n');
        assert.deepEqual(got.samples, want === null ? [] : [want], line);
        if (want) matched++;
      }
      assert.ok(matched > 500, `only ${matched} valid lines for ${fields.join(',')}`);
    }
  });

  it('works with the field list without power.draw.instant', () => {
    const line = `2026/07/14 08:12:53.353, ${uuid}, 1, 250.50, 400.00, 97, 40, 30000, 81920, 61, 1410\n`;
    const s = createGpuLineParser(GPU_QUERY_FIELDS_NO_INSTANT).push(line).samples[0];
    assert.equal(s?.powerW, 250.5);
    assert.equal(s?.powerInstantW, null);
    assert.equal(s?.index, 1);
  });
});

describe('parseComputeApps and parseGpuList', () => {
  it('reads noheader,nounits rows and skips junk', () => {
    const text = '1234, GPU-aaaa-1, 2566\n99, GPU-bbbb-2, [N/A]\nNo running processes found\n, GPU-x, 1\n';
    assert.deepEqual(parseComputeApps(text), [
      { pid: 1234, gpuUuid: 'GPU-aaaa-1', usedMiB: 2566 },
      { pid: 99, gpuUuid: 'GPU-bbbb-2', usedMiB: null },
    ]);
    assert.deepEqual(parseComputeApps(''), []);
  });
  it('reads -L with MIG devices', () => {
    const text = 'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-1111)\n  MIG 3g.20gb     Device  0: (UUID: MIG-2222)\n' +
      '  MIG 1g.5gb      Device  1: (UUID: MIG-3333)\nGPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-4444)\n';
    assert.deepEqual(parseGpuList(text), [
      { index: 0, name: 'NVIDIA A100-SXM4-40GB', uuid: 'GPU-1111', migUuids: ['MIG-2222', 'MIG-3333'] },
      { index: 1, name: 'NVIDIA A100-SXM4-40GB', uuid: 'GPU-4444', migUuids: [] },
    ]);
  });
});
