import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { counterParts } from '../../../src/runs/gpu-counter.js';
import { openDatabase } from '../../../src/store/db.js';
import { GpuEnergyReader } from '../../../src/store/gpu-energy.js';
import { SampleStore } from '../../../src/store/samples.js';

const A = 'GPU-a0000000-0000-4000-8000-000000000000';
const B = 'GPU-b0000000-0000-4000-8000-000000000000';

/** A fresh database with counter reads of A every 100 ms over [1000, 2000]: `w` watts from 5 kJ (mJ = 5e6 + w·(t-1000)). */
function store(w = 100) {
  const db = openDatabase(':memory:');
  const samples = new SampleStore(db);
  const rows = [];
  for (let t = 1000; t <= 2000; t += 100) rows.push({ t, uuid: A, energyMj: 5e6 + w * (t - 1000) });
  samples.addGpuEnergy(rows);
  samples.flush();
  const devs = { a: { id: samples.deviceId(A), uuid: A }, b: { id: samples.deviceId(B), uuid: B } };
  return { db, samples, reader: new GpuEnergyReader(db), devs };
}

const resets = (db: ReturnType<typeof openDatabase>): number[] => db.prepare('SELECT t FROM gpu_energy WHERE reset = 1 ORDER BY t').pluck().all() as number[];

describe('GPU energy from the NVML counter reads', () => {
  it('interpolates the counter linearly at every cut, between reads', () => {
    const { reader, devs } = store(100);
    const r = counterParts(reader, [devs.a], [1050, 1500, 1950], { extrapolateMs: 0 });
    assert.equal(r.note, null);
    assert.deepEqual(r.gpu, [45, 45], '100 W over 450 ms, twice');
    const onReads = counterParts(reader, [devs.a], [1000, 2000], { extrapolateMs: 0 });
    assert.deepEqual(onReads.gpu, [100]);
  });

  it('sums the devices; one device without reads makes the whole span the integral, said in the note', () => {
    const { samples, reader, devs } = store(100);
    assert.deepEqual(counterParts(reader, [devs.a, devs.b], [1100, 1900], { extrapolateMs: 0 }).gpu, null);
    assert.match(counterParts(reader, [devs.a, devs.b], [1100, 1900], { extrapolateMs: 0 }).note ?? '', new RegExp(`^${B} has no NVML energy counter readings`));
    samples.addGpuEnergy([{ t: 1000, uuid: B, energyMj: 0 }, { t: 2000, uuid: B, energyMj: 200_000 }]);
    samples.flush();
    assert.deepEqual(counterParts(reader, [devs.a, devs.b], [1100, 1900], { extrapolateMs: 0 }).gpu, [80 + 160]);
    assert.deepEqual(counterParts(reader, [], [1100, 1900], { extrapolateMs: 0 }), { gpu: null, note: null }, 'no GPU: nothing to say');
  });

  it('a cut outside the reads: before the first is refused, after the last only within the live allowance', () => {
    const { reader, devs } = store(100);
    assert.match(counterParts(reader, [devs.a], [900, 1500], { extrapolateMs: 1000 }).note ?? '', /no NVML energy counter reading at or before 1970-01-01T00:00:00\.900Z/);
    assert.match(counterParts(reader, [devs.a], [1500, 2150], { extrapolateMs: 0 }).note ?? '', /no NVML energy counter reading at or after .*2\.150Z/);
    // A running run: now is 150 ms past the last read, extrapolated at the last rate (100 W).
    assert.deepEqual(counterParts(reader, [devs.a], [1500, 2150], { extrapolateMs: 301 }).gpu, [65]);
    assert.equal(counterParts(reader, [devs.a], [1500, 2400], { extrapolateMs: 301 }).gpu, null, 'beyond the allowance');
  });

  it('the store marks a read below the previous one (driver reload); a span holding it is the integral', () => {
    const { db, samples, reader, devs } = store(100);
    samples.addGpuEnergy([{ t: 2100, uuid: A, energyMj: 1000 }, { t: 2200, uuid: A, energyMj: 11_000 }]);
    samples.flush();
    assert.deepEqual(resets(db), [2100], 'only the read that went down');
    const r = counterParts(reader, [devs.a], [1500, 2150], { extrapolateMs: 0 });
    assert.equal(r.gpu, null);
    assert.match(r.note ?? '', new RegExp(`^${A}: the NVML energy counter went backwards at 1970-01-01T00:00:02\\.100Z \\(driver reloaded\\?\\)`));
    assert.deepEqual(counterParts(reader, [devs.a], [1100, 1900], { extrapolateMs: 0 }).gpu, [80], 'before the reload the counter holds');
    assert.deepEqual(counterParts(reader, [devs.a], [2100, 2200], { extrapolateMs: 0 }).gpu, [10], 'after it, too');
  });

  it('queued counter reads survive a failed flush with the other samples', () => {
    const { db, samples } = store(100);
    db.exec("CREATE TRIGGER no_room BEFORE INSERT ON gpu_energy BEGIN SELECT RAISE(ABORT, 'no room'); END");
    samples.addGpuEnergy([{ t: 3000, uuid: A, energyMj: 1 }]);
    assert.throws(() => samples.flush(), /no room/);
    assert.equal(samples.pending, 1);
    db.exec('DROP TRIGGER no_room');
    assert.equal(samples.flush(), 1);
    assert.equal(db.prepare('SELECT energy_mj FROM gpu_energy WHERE t = 3000').pluck().get(), 1);
  });
});
