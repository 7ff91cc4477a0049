import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnProcess } from '../../../src/platform/exec.js';
import {
  createProcessTreeSampler,
  findDescendants,
  parseProcStat,
  type UsageFn,
} from '../../../src/samplers/process-tree.js';

const FIXTURE = path.resolve('test/fixtures/proc/tree');

/** Polls until cond() holds (bounded, so a broken build fails instead of hanging). */
async function waitFor<T>(fn: () => Promise<T>, cond: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await fn();
    if (cond(v)) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Our fds that point at /proc/<pid>/stat (pidusage caches one per sampled pid). */
function statFdsFor(pids: number[]): string[] {
  const wanted = new Set(pids.map((p) => `/proc/${p}/stat`));
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (wanted.has(target)) out.push(target);
    } catch {
      /* the fd readdir itself used is gone already */
    }
  }
  return out;
}

function spawnTree(): ChildProcess {
  // its own process group, so the whole tree can be killed at once
  return spawnProcess('sh', ['-c', 'sleep 5 & sleep 5 & wait'], { stdio: 'ignore', detached: true });
}

function killTree(child: ChildProcess): void {
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    /* already gone */
  }
}

test('parseProcStat takes the fields after the LAST closing parenthesis', () => {
  assert.deepEqual(parseProcStat('100 (train (1) S 999) S 50 100 50 0'), {
    pid: 100,
    comm: 'train (1) S 999',
    state: 'S',
    ppid: 50,
  });
  assert.deepEqual(parseProcStat('7 (a\nb) Z 3 7'), { pid: 7, comm: 'a\nb', state: 'Z', ppid: 3 });
  assert.deepEqual(parseProcStat('8 () R 1 8'), { pid: 8, comm: '', state: 'R', ppid: 1 });
});

test('parseProcStat returns null on garbage', () => {
  for (const bad of ['', 'garbage', '12 (x', '12 x) S 1', 'x (y) S 1', '12 (y) S', '12 (y) S -1', '12 (y) S abc']) {
    assert.equal(parseProcStat(bad), null, JSON.stringify(bad));
  }
});

test('findDescendants walks the fixture tree despite hostile comm names', async () => {
  assert.deepEqual(await findDescendants(100, FIXTURE), [100, 101, 102, 105, 103, 104]);
  assert.deepEqual(await findDescendants(101, FIXTURE), [101, 103, 104]);
  assert.deepEqual(await findDescendants(104, FIXTURE), [104]);
  const fromInit = await findDescendants(1, FIXTURE);
  assert.deepEqual([...fromInit].sort((a, b) => a - b), [1, 50, 100, 101, 102, 103, 104, 105, 200, 999]);
});

test('findDescendants: a root that is not running gives [], bad input a clear error', async () => {
  assert.deepEqual(await findDescendants(300, FIXTURE), []); // folder without stat: vanished
  assert.deepEqual(await findDescendants(4242, FIXTURE), []);
  await assert.rejects(findDescendants(0, FIXTURE), /rootPid must be a positive integer/);
  await assert.rejects(findDescendants(1.5, FIXTURE), /rootPid must be a positive integer/);
  await assert.rejects(findDescendants(1, path.resolve('test/fixtures/proc/does-not-exist')), /ENOENT/);
});

test('sampler sums the fixture tree and skips pids that vanish before usage is read', async () => {
  const asked: number[][] = [];
  const usage: UsageFn = async (pids) => {
    asked.push(pids);
    const out: Awaited<ReturnType<UsageFn>> = {};
    for (const pid of pids) if (pid !== 103) out[pid] = { memory: pid * 1000, cpu: pid / 100 };
    return out;
  };
  const sampler = createProcessTreeSampler({ rootPid: 100, procRoot: FIXTURE, now: () => 1234, usage });
  const s = await sampler.sample();
  assert.deepEqual(asked, [[100, 101, 102, 105, 103, 104]]);
  assert.equal(s.t, 1234);
  assert.deepEqual(s.pids, [100, 101, 102, 105, 104]);
  assert.equal(s.rssBytes, (100 + 101 + 102 + 105 + 104) * 1000);
  assert.ok(Math.abs(s.cpuPct - (100 + 101 + 102 + 105 + 104) / 100) < 1e-9);
  assert.deepEqual(s.processes[0], { t: 1234, pid: 100, rssBytes: 100_000, cpuPct: 1 });
});

test('sampler never throws when usage fails or the root is gone', async () => {
  const failing = createProcessTreeSampler({
    rootPid: 100,
    procRoot: FIXTURE,
    usage: async () => Promise.reject(new Error('No matching pid found')),
  });
  const s = await failing.sample();
  assert.deepEqual([s.pids, s.rssBytes, s.cpuPct, s.processes], [[], 0, 0, []]);
  let called = false;
  const gone = createProcessTreeSampler({
    rootPid: 4242,
    procRoot: FIXTURE,
    usage: async () => {
      called = true;
      return {};
    },
  });
  assert.deepEqual((await gone.sample()).pids, []);
  assert.equal(called, false, 'pidusage is not asked about an empty tree');
  assert.throws(() => createProcessTreeSampler({ rootPid: -3 }), /rootPid must be a positive integer/);
  assert.throws(() => createProcessTreeSampler({ rootPid: 1, historyMaxAgeMs: 0 }), /historyMaxAgeMs/);
});

test('real child tree: descendants found, RSS > 0, dead pids skipped and their fds released', async (t) => {
  const child = spawnTree();
  t.after(() => killTree(child));
  const root = child.pid as number;
  const pids = await waitFor(() => findDescendants(root), (p) => p.length === 3, 'sh and its two sleeps');
  assert.equal(pids[0], root);

  const sampler = createProcessTreeSampler({ rootPid: root, historyMaxAgeMs: 300 });
  const s = await sampler.sample();
  assert.deepEqual([...s.pids].sort(), [...pids].sort());
  assert.ok(s.rssBytes > 0, `tree RSS ${s.rssBytes}`);
  for (const p of s.processes) assert.ok(p.rssBytes > 0 && p.cpuPct >= 0, JSON.stringify(p));
  assert.equal(s.rssBytes, s.processes.reduce((a, p) => a + p.rssBytes, 0));
  assert.ok(statFdsFor(pids).length > 0, 'pidusage caches an fd per sampled pid');

  killTree(child);
  await waitFor(() => sampler.sample(), (x) => x.pids.length === 0, 'the killed tree to disappear');
  // pidusage's own expiry closes the dead pids' cached fds (pidusage.clear() would leak them)
  await waitFor(async () => statFdsFor(pids), (fds) => fds.length === 0, 'cached /proc fds to be closed');
});

test('a root that exited but is not reaped yet (a zombie: a dead client\'s command waits for init) is no tree', async (t) => {
  assert.deepEqual(await findDescendants(105, FIXTURE), [], 'the fixture\'s zombie as a root');
  // sh starts a short sleep, prints its pid and becomes a long sleep, which never reaps it.
  const parent = spawnProcess('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 20'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => parent.kill('SIGKILL'));
  const root = Number(await new Promise<string>((res) => parent.stdout?.once('data', (d: Buffer) => res(d.toString()))));
  const usage: UsageFn = async (pids) => Object.fromEntries(pids.map((p) => [p, { memory: 1, cpu: 0 }]));
  const sampler = createProcessTreeSampler({ rootPid: root, usage, rescanEvery: 1000 });
  assert.deepEqual((await sampler.sample()).pids, [root], 'a full scan while it sleeps');
  const state = async (): Promise<string | undefined> => parseProcStat(await readFile(`/proc/${root}/stat`, 'utf8'))?.state;
  await waitFor(state, (s) => s === 'Z', 'the sleep to exit into a zombie');
  assert.deepEqual((await sampler.sample()).pids, [], 'between full scans the root is checked');
  assert.deepEqual(await findDescendants(root), []);
});
