import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropOutcome, pendingOutcomes, saveOutcome } from '../../../src/runs/outcomes.js';

describe('outcomes a client could not deliver wait on disk', () => {
  const home = mkdtempSync(join(tmpdir(), 'profiler-outcomes-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  it('are saved atomically, read back, and dropped', () => {
    const file = saveOutcome(home, { runId: '0mx5p98rzc287', exitCode: 7, signal: null, endedAt: 1_800_000_000_000 });
    assert.equal(file, join(home, 'outcomes', '0mx5p98rzc287.json'));
    assert.deepEqual(readdirSync(join(home, 'outcomes')), ['0mx5p98rzc287.json'], 'no temporary file left');
    assert.deepEqual(pendingOutcomes(home), [{ runId: '0mx5p98rzc287', exitCode: 7, signal: null, endedAt: 1_800_000_000_000 }]);
    dropOutcome(home, '0mx5p98rzc287');
    assert.deepEqual(pendingOutcomes(home), []);
  });

  it('refuse a run id that could name another path, and drop files that are not outcomes', () => {
    assert.equal(saveOutcome(home, { runId: '../../etc/x', exitCode: 0, signal: null, endedAt: 1 }), null);
    mkdirSync(join(home, 'outcomes'), { recursive: true });
    writeFileSync(join(home, 'outcomes', 'abcdefabcdef1.json'), '{not json');
    writeFileSync(join(home, 'outcomes', 'abcdefabcdef2.json'), JSON.stringify({ runId: 'abcdefabcdef3', exitCode: 1, signal: null, endedAt: 5 }));
    writeFileSync(join(home, 'outcomes', 'abcdefabcdef4.json'), JSON.stringify({ runId: 'abcdefabcdef4', exitCode: 'x', signal: null, endedAt: 5 }));
    assert.deepEqual(pendingOutcomes(home), []);
    assert.deepEqual(readdirSync(join(home, 'outcomes')), []);
  });

  it('a home that cannot be written gives null (the caller reports it)', () => {
    writeFileSync(join(home, 'a-file'), '');
    assert.equal(saveOutcome(join(home, 'a-file'), { runId: 'abcdefabcdef5', exitCode: 0, signal: null, endedAt: 1 }), null);
  });
});
