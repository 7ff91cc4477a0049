import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI, DEMO, runCli, showJson, startCli, testHome, waitFor, type TestHome } from '../helpers/cli.js';

const EPOCHS = 8;

describe('profiler watch', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome();
  });
  after(async () => h.cleanup());

  it('follows the running run: plain lines with rising epochs while piped, one JSON object per update, the final summary, exit 0', async () => {
    const run = startCli(['run', '--quiet', '--name', 'watched', '--', 'python3', DEMO, '--epochs', String(EPOCHS), '--epoch-seconds', '0.8'], { env: h.env });
    const live = await waitFor(async () => {
      try {
        const r = await showJson(h.env);
        return r.status === 'running' ? r : null;
      } catch {
        return null; // no run recorded yet
      }
    }, 60_000, 'the run to start');
    const plain = startCli(['watch'], { env: h.env });
    const json = startCli(['watch', live.id.slice(0, 8), '--json', '--interval', '0.5'], { env: h.env });
    // On a terminal (profiler run --pty gives the watcher one): the block is redrawn in place. It starts once the
    // default watcher has printed, since its own wrapping run would otherwise be the newest running one.
    let printed = false;
    plain.child.stdout?.once('data', () => (printed = true));
    await waitFor(() => printed, 60_000, 'the first update of profiler watch');
    const tty = startCli(['run', '--pty', '--quiet', '--', process.execPath, CLI, 'watch', live.id], { env: h.env });
    const [p, j, r, t] = await Promise.all([plain.done, json.done, run.done, tty.done]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(j.code, 0, j.stderr);

    assert.equal(t.code, 0, t.stderr);
    const screen = t.stdout.toString('utf8');
    assert.ok(screen.includes('\x1b[6F\x1b[J'), 'cursor back up the 6 lines of the block, then clear');
    assert.match(screen, new RegExp(`run {7}${live.id} \\(watched\\): succeeded`));
    assert.match(screen, new RegExp(`epochs {4}${EPOCHS}/${EPOCHS}`));
    assert.match(screen, /profiler: run \S+ succeeded in/);

    const lines = p.stdout.toString('utf8').trimEnd().split('\n');
    const updates = lines.filter((l) => l.startsWith(`${live.id} running `));
    assert.ok(updates.length >= 2, lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('\x1b[')), 'no cursor movement when stdout is not a terminal');
    // The total is shown once known: the very first update may come before the first `Epoch 1/N` line.
    const epochs = updates.map((l) => Number(new RegExp(`\\| epochs (\\d+)(?:/${EPOCHS})? \\|`).exec(l)?.[1]));
    assert.ok(epochs.every(Number.isInteger), updates.join('\n'));
    assert.ok(epochs.every((e, i) => i === 0 || e >= (epochs[i - 1] as number)), `epochs never go back: ${epochs}`);
    assert.ok((epochs.at(-1) as number) > (epochs[0] as number), `epochs rise while watching: ${epochs}`);
    assert.match(updates.at(-1) as string, /\| energy [\d.]+ (J|kJ) \| power GPU0 [\d.]+ W, GPU1 [\d.]+ W \|/);
    const text = lines.join('\n');
    assert.match(text, new RegExp(`profiler: run ${live.id} succeeded in`));
    assert.match(text, new RegExp(`profiler: ${EPOCHS} epoch\\(s\\) of ${EPOCHS}`));

    const objs = j.stdout.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.ok(objs.length >= 3, `${objs.length} JSON updates`);
    assert.ok(objs.every((o) => o.id === live.id && typeof o.energyJ === 'number' && Array.isArray(o.powerW)));
    const last = objs.at(-1);
    assert.equal(last.final, true);
    assert.equal(last.status, 'succeeded');
    assert.equal(last.epochsDone, EPOCHS);
    assert.ok(objs.slice(0, -1).every((o) => o.final === false && o.status === 'running'));
    assert.ok(objs.some((o) => o.powerW.length === 2 && o.totalPowerW > 0), 'GPU power from the sample events');
    const final = await showJson(h.env, live.id);
    assert.ok(Math.abs(last.energyJ - final.energy.totalJ) < 1e-6, 'the final object carries the run\'s final energy');
  });

  it('on a finished run prints its summary at once; an unknown run is one clear error', async () => {
    const done = await runCli(['watch', 'last'], { env: h.env });
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout.toString('utf8'), /^profiler: run \S+ succeeded in/);
    const missing = await runCli(['watch', 'zzzz'], { env: h.env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^profiler: no run matches "zzzz" \[PROF_ERR_NOT_FOUND\]\n$/);
    const bad = await runCli(['watch', '--interval', '0'], { env: h.env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--interval must be seconds/);
  });
});

describe('profiler watch with a token', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome({ PROFILER_TOKEN: 'watch-token' });
  });
  after(async () => h.cleanup());

  it('sends the configured token on the stream and the requests; without it the daemon\'s refusal is one clear line', async () => {
    const r = await runCli(['run', '--quiet', '--', 'python3', DEMO, '--epochs', '2', '--epoch-seconds', '0.3'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const w = await runCli(['watch', '--json'], { env: h.env });
    assert.equal(w.code, 0, w.stderr);
    const last = JSON.parse(w.stdout.toString('utf8').trimEnd().split('\n').at(-1) as string);
    assert.deepEqual([last.final, last.status, last.epochsDone], [true, 'succeeded', 2]);
    const env = { ...h.env };
    delete env.PROFILER_TOKEN;
    const refused = await runCli(['watch'], { env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^profiler: missing or wrong bearer token \[PROF_ERR_UNAUTHORIZED\]\n$/);
  });
});
