import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gpuMethodLines } from '../../../src/cli/commands/query.js';
import type { RunJson } from '../../../src/runs/report.js';

const energy = (o: Partial<RunJson['energy']>): RunJson['energy'] => ({
  totalJ: 0, gpuJ: 0, ramJ: 0, cpuJ: null, gpuCoverage: 1, gaps: 0, gpuMethod: 'integral', gpuCounterJ: null, gpuIntegralJ: 0, gpuNote: null, ...o,
});

describe('profiler show: GPU energy by counter and by integral', () => {
  it('a counter run shows both figures and counter − integral relative to the integral', () => {
    const lines = gpuMethodLines(energy({ gpuMethod: 'counter', gpuJ: 1010, gpuCounterJ: 1010, gpuIntegralJ: 1000 }));
    assert.deepEqual(lines, ['gpu meter NVML counter 1.01 kJ (used)  ∫ power.draw 1.00 kJ  counter − integral 1.00 %']);
    assert.match(gpuMethodLines(energy({ gpuMethod: 'counter', gpuCounterJ: 990, gpuIntegralJ: 1000 }))[0] ?? '', /-1\.00 %$/);
  });

  it('an integral run says why the counter was not used; without a note (no GPU, energy sealed before NVML) nothing', () => {
    assert.deepEqual(gpuMethodLines(energy({ gpuIntegralJ: 500, gpuNote: 'GPU-x has no NVML energy counter readings' })),
      ['gpu meter ∫ power.draw 500.0 J (used): GPU-x has no NVML energy counter readings']);
    assert.deepEqual(gpuMethodLines(energy({})), []);
  });
});
