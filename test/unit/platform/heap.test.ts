import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';

const HEAP = pathToFileURL(fileURLToPath(new URL('../../../src/platform/heap.js', import.meta.url))).href;

/**
 * A fresh Node that keeps a batch of 4,000 small objects alive while it allocates more, as an import does, and prints
 * its new space's size before and after (MiB); `hold`: it calls holdYoungGeneration first.
 */
function newSpace(hold: boolean): { before: number; after: number } {
  const src = `
    import { getHeapSpaceStatistics } from 'node:v8';
    ${hold ? `(await import(${JSON.stringify(HEAP)})).holdYoungGeneration();` : ''}
    const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
    const before = size();
    let batch = [];
    for (let i = 0; i < 3e6; i++) {
      batch.push({ t: i, w: i * 0.5, uuid: 'GPU-x' });
      if (batch.length === 4000) batch = [];
    }
    process.stdout.write(JSON.stringify({ before, after: size() }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8' })) as { before: number; after: number };
}

describe('holdYoungGeneration', () => {
  it('keeps the young generation near its start-up size where the same stream grows it without', () => {
    const free = newSpace(false);
    const held = newSpace(true);
    assert.ok(free.after >= 4 * free.before, `control: the stream grows the new space (${free.before} -> ${free.after} MiB)`);
    assert.ok(held.after <= 2 * held.before, `held: ${held.before} -> ${held.after} MiB`);
  });
});
