import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, runCli, showJson, testHome, type TestHome } from '../helpers/cli.js';

const homes: TestHome[] = [];
after(async () => {
  for (const h of homes) await h.cleanup();
});

const HEAD = 'timestamp,gpu_name,gpu_usage,gpu_memory_usage,gpu_total_memory,gpu_memory_used,gpu_power_draw,gpu_max_power,gpu_temperature\n';
const at = (minute: number, s: number): string => `2023-01-21 12:${String(minute).padStart(2, '0')}:${String(s).padStart(2, '0')}.000`;

/** A study-layout GPU log of `seconds` rows at `watts` from minute `minute`, and an epochs CSV of 10 s epochs. */
function logs(dir: string, tag: string, minute: number, watts: number, seconds = 40): { gpu: string; epochs: string } {
  const gpu = join(dir, `${tag}-gpu.csv`);
  const rows = Array.from({ length: seconds }, (_, s) => `${at(minute, s)},NVIDIA GeForce RTX 3070,50 %,2 %,8192 MiB,7131 MiB,${watts.toFixed(2)} W,240.00 W,36\n`);
  writeFileSync(gpu, HEAD + rows.join(''));
  const epochs = join(dir, `${tag}-epochs.csv`);
  writeFileSync(epochs, 'epoch,end_time\n' + [1, 2, 3].map((e) => `${e - 1},${at(minute, e * 10)}`).join('\n') + '\n');
  return { gpu, epochs };
}

async function importLog(h: TestHome, l: { gpu: string; epochs: string }, ...extra: string[]): Promise<string> {
  const r = await runCli(['import', '--gpu-csv', l.gpu, '--epochs-csv', l.epochs, '--json', ...extra], { env: h.env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString()).id as string;
}

const gpuSamples = (h: TestHome): number => {
  const db = new Database(join(h.home, 'profiler.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM gpu_samples').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('profiler runs, show last, compare, rm', () => {
  it('show last is the most recently recorded run, an import of an old log included; runs --status/--name filter', async () => {
    const h = await testHome();
    homes.push(h);
    const live = await runCli(['run', '--name', 'live', '--', 'true'], { env: h.env });
    assert.equal(live.code, 0, live.stderr);
    const recorded = (await showJson(h.env)).id as string;
    const imported = await importLog(h, logs(h.home, 'a', 10, 100), '--name', 'old');
    assert.equal((await showJson(h.env)).id, imported, 'last = the import, started in 2023');
    const newest = JSON.parse((await runCli(['runs', '--json'], { env: h.env })).stdout.toString()) as { id: string }[];
    assert.deepEqual(newest.map((r) => r.id), [recorded, imported], 'runs lists by start time');
    const only = async (...args: string[]): Promise<string[]> =>
      (JSON.parse((await runCli(['runs', '--json', ...args], { env: h.env })).stdout.toString()) as { id: string }[]).map((r) => r.id);
    assert.deepEqual(await only('--status', 'imported'), [imported]);
    assert.deepEqual(await only('--status', 'succeeded'), [recorded]);
    assert.deepEqual(await only('--name', 'live'), [recorded]);
    assert.deepEqual(await only('--name', 'liv'), [], 'a name matches exactly');
    assert.deepEqual(await only('--status', 'imported', '--name', 'live'), []);
    const bad = await runCli(['runs', '--status', 'done'], { env: h.env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^profiler: --status must be one of running, succeeded, failed, interrupted, imported, got "done" \[PROF_ERR_INVALID\]\n$/);
    const text = (await runCli(['runs', '--status', 'failed'], { env: h.env })).stdout.toString();
    assert.match(text, /^no runs match status failed/);
    assert.equal((await runCli(['show', 'last', '--status', 'x'], { env: h.env })).code, 2, '--status belongs to runs only');
  });

  it('compare: the runs side by side, per-epoch energies in columns; --json has the same figures as show', async () => {
    const h = await testHome();
    homes.push(h);
    const a = await importLog(h, logs(h.home, 'a', 10, 100), '--name', 'hundred');
    const b = await importLog(h, logs(h.home, 'b', 20, 150));
    const r = await runCli(['compare', a, b], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.toString();
    assert.match(out, new RegExp(`^ +${a} +${b}\\n`), out);
    assert.match(out, /\nname +hundred +—\n/);
    const ja = await showJson(h.env, a);
    const jb = await showJson(h.env, b);
    assert.match(out, /\nenergy per epoch\nEPOCH +\S+ +\S+\n1 +1\.00 kJ +1\.50 kJ\n2 +1\.00 kJ +1\.50 kJ\n3 +1\.00 kJ +1\.50 kJ/, out);
    const j = JSON.parse((await runCli(['compare', a, b, '--json'], { env: h.env })).stdout.toString());
    assert.deepEqual(j.runs.map((x: any) => [x.id, x.energy.totalJ, x.epochs, x.epochEnergyJ]),
      [ja, jb].map((x) => [x.id, x.energy.totalJ, x.epochs.length, x.epochs.map((e: any) => e.energyJ)]));
    assert.ok(Math.abs(j.runs[1].meanPowerW - jb.energy.totalJ / jb.durationS) < 1e-9);
    const one = await runCli(['compare', a], { env: h.env });
    assert.equal(one.code, 2);
    assert.match(one.stderr, /give two runs or more \[PROF_ERR_USAGE\]/);
  });

  it('rm removes a run and only the samples no other run shares; a running run is refused', async () => {
    const h = await testHome();
    homes.push(h);
    const l = logs(h.home, 'a', 10, 100);
    const first = await importLog(h, l);
    const stored = gpuSamples(h);
    assert.equal(stored, 40);
    const second = await importLog(h, l, '--force');
    const other = await importLog(h, logs(h.home, 'c', 30, 120));
    assert.equal(gpuSamples(h), 80);
    const before = await showJson(h.env, second);
    const r = await runCli(['rm', first], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), `${first}\n`);
    assert.match(r.stderr, /removed run \S+: 0 GPU samples/, 'the shared samples stay');
    assert.equal(gpuSamples(h), 80);
    assert.equal((await runCli(['show', first], { env: h.env })).code, 2, 'the run is gone');
    assert.deepEqual((await showJson(h.env, second)).energy, before.energy, 'the other run keeps its energy');
    assert.equal((await runCli(['rm', second], { env: h.env })).code, 0);
    assert.equal(gpuSamples(h), 40, 'samples nobody shares any more go with the last run');
    assert.equal((await showJson(h.env, other)).energy.gpuJ, 120 * 39, 'a run elsewhere in time is untouched');
    const live = await fetch(`http://127.0.0.1:${h.env.PROFILER_PORT}/v1/runs`).catch(() => null);
    assert.equal(live, null, 'no daemon yet');
    assert.equal((await runCli(['daemon', 'start'], { env: h.env })).code, 0);
    const { pid } = await (await fetch(`http://127.0.0.1:${h.env.PROFILER_PORT}/healthz`)).json() as { pid: number };
    if (process.platform === 'linux') {
      // The daemon's footprint settings (platform/daemon-flags.ts): one malloc arena unless the user chose, a small young generation.
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      assert.ok(environ.includes(`MALLOC_ARENA_MAX=${h.env.MALLOC_ARENA_MAX ?? '1'}`), 'the daemon runs with one malloc arena');
      assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--max-semi-space-size=1'));
    }
    const reg = await (await fetch(`http://127.0.0.1:${h.env.PROFILER_PORT}/v1/runs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: ['train'] }) })).json() as { id: string };
    for (const args of [['rm', reg.id], ['rm', '--force', reg.id]]) {
      const refused = await runCli(args, { env: h.env });
      assert.equal(refused.code, 2, args.join(' '));
      assert.match(refused.stderr, /is running.*\[PROF_ERR_CONFLICT\]/);
    }
    assert.equal((await showJson(h.env, reg.id)).status, 'running');
    const missing = await runCli(['rm', other, 'nosuchrun'], { env: h.env });
    assert.equal(missing.code, 2);
    assert.equal((await showJson(h.env, other)).id, other, 'nothing is removed when one RUN names no run');
  });
});

describe('errors a new user meets', () => {
  it('a port another program holds: daemon start says which port and that another program holds it', async () => {
    const h = await testHome();
    homes.push(h);
    const squatter = createServer();
    const port = await freePort();
    await new Promise<void>((res) => squatter.listen(port, '127.0.0.1', res));
    try {
      const r = await runCli(['daemon', 'start'], { env: { ...h.env, PROFILER_PORT: String(port) } });
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`^profiler: port ${port} on 127\\.0\\.0\\.1 is in use by another program \\(EADDRINUSE; not a daemon of this PROFILER_HOME\\): stop that program or set PROFILER_PORT to a free port \\(the daemon exited with status 2; see .*daemon\\.log\\) \\[PROF_ERR_DAEMON_START\\]\\n$`));
    } finally {
      squatter.close();
    }
  });

  it('export into a folder that does not exist creates it', async () => {
    const h = await testHome();
    homes.push(h);
    const id = await importLog(h, logs(h.home, 'a', 10, 100));
    const out = join(h.home, 'reports', 'deep', 'emissions.csv');
    const r = await runCli(['export', id, '--format', 'codecarbon', '--out', out], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(out));
  });
});
