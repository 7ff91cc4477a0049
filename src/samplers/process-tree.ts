import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pidusage from 'pidusage';
import { invalid } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import { messageOf, periodicSampler } from './periodic.js';
import type { PeriodicSampler, ProcessSample, SamplerContext, SamplerFactory, TreeReading } from './types.js';

/** The fields of `/proc/<pid>/stat` the tree scan needs. */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
}

/** Parses one `/proc/<pid>/stat` line; null when it is not one (truncated, empty, garbage). */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  // comm may itself hold spaces, parentheses and newlines, so the fixed fields start after the LAST ')'.
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pidText = text.slice(0, open).trim();
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const state = rest[0];
  const ppidText = rest[1];
  if (!/^\d+$/.test(pidText) || state === undefined || ppidText === undefined || !/^\d+$/.test(ppidText)) {
    return null;
  }
  return { pid: Number(pidText), comm: text.slice(open + 1, close), state, ppid: Number(ppidText) };
}

/**
 * Reads every `<procRoot>/<pid>/stat`; processes that vanish or hold garbage mid-scan are left out. Synchronous on
 * purpose: a procfs read takes microseconds, while each async one cost a thread-pool round trip and four promises
 * (the daemon's largest CPU share after parsing nvidia-smi, measured): a scan of a few hundred pids blocks ~1-3 ms.
 */
export async function scanProcesses(procRoot = '/proc'): Promise<ProcStat[]> {
  // sorted so the tree order is deterministic whatever order the filesystem lists entries in
  const names = readdirSync(procRoot).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  const out: ProcStat[] = [];
  for (const name of names) {
    try {
      const st = parseProcStat(readFileSync(join(procRoot, name, 'stat'), 'utf8'));
      if (st !== null && String(st.pid) === name) out.push(st);
    } catch {
      // ENOENT/ESRCH: the process exited between readdir and read
    }
  }
  return out;
}

/** Exited but not reaped ('Z'), or dead ('X'): a dead client's command may wait long for init to reap it. */
const exited = (p: ProcStat): boolean => p.state === 'Z' || p.state === 'X' || p.state === 'x';

/** Whether the root of a tree is still running: one stat read, for the samples between full scans. */
async function rootRunning(pid: number, procRoot: string): Promise<boolean> {
  try {
    const st = parseProcStat(readFileSync(join(procRoot, String(pid), 'stat'), 'utf8'));
    return st !== null && st.pid === pid && !exited(st);
  } catch {
    return false; // gone
  }
}

function checkPid(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw invalid(`rootPid must be a positive integer, got ${String(pid)}`);
}

/**
 * The root and all its descendants (root first, then breadth-first), by parent pid.
 * Empty when the root is not running (gone, or a zombie: the command exited). Descendants re-parented away (double
 * fork, daemonize) are not found; a zombie child stays until its parent, in the tree, reaps it.
 */
export async function findDescendants(rootPid: number, procRoot = '/proc'): Promise<number[]> {
  checkPid(rootPid);
  const all = await scanProcesses(procRoot);
  const root = all.find((p) => p.pid === rootPid);
  if (!root || exited(root)) return [];
  const children = new Map<number, number[]>();
  for (const p of all) {
    if (p.pid === p.ppid) continue; // a self-parented entry would loop
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const seen = new Set<number>([rootPid]);
  const order = [rootPid];
  for (let i = 0; i < order.length; i++) {
    for (const child of children.get(order[i] as number) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        order.push(child);
      }
    }
  }
  return order;
}

/** Per-pid usage as pidusage reports it: RSS in bytes, CPU in % of one core since the previous call. */
export type UsageFn = (pids: number[]) => Promise<Record<number, { memory: number; cpu: number } | undefined>>;

export interface ProcessTreeSample {
  t: number;
  pids: number[];
  rssBytes: number;
  cpuPct: number;
  processes: ProcessSample[];
}

export interface ProcessTreeSamplerOptions {
  rootPid: number;
  procRoot?: string;
  now?: () => number;
  /** Replaces pidusage (tests on fixture trees, whose pids do not exist). */
  usage?: UsageFn;
  /**
   * How long pidusage keeps a pid's history (and its open /proc fd) after the last query. Must exceed the
   * sampling interval, else every CPU% reads 0; dead pids' fds are closed by pidusage once this expires.
   */
  historyMaxAgeMs?: number;
  /** Scan procfs for the tree every this many samples (1: every sample); in between, the pids found last. */
  rescanEvery?: number;
}

export function pidusageFn(maxAgeMs: number): UsageFn {
  return async (pids) => {
    // pidusage rejects a lone dead pid but, with several, answers undefined for the dead ones.
    return (await pidusage([...pids], { maxage: maxAgeMs })) as Record<number, { memory: number; cpu: number } | undefined>;
  };
}

/**
 * Samples the RSS and CPU% of a run's process tree, summed over its live processes.
 * CPU% is pidusage's: % of one core averaged since that pid's previous sample (0 at a pid's first sample).
 * We never call pidusage.clear(): it drops its history without closing the cached /proc fds (a real fd leak,
 * measured on pidusage 4.1.0); dead pids instead expire after historyMaxAgeMs, which closes their fds.
 */
export function createProcessTreeSampler(opts: ProcessTreeSamplerOptions): {
  sample(): Promise<ProcessTreeSample>;
} {
  const procRoot = opts.procRoot ?? '/proc';
  const now = opts.now ?? Date.now;
  const maxAge = opts.historyMaxAgeMs ?? 10_000;
  if (!Number.isFinite(maxAge) || maxAge <= 0) {
    throw invalid(`historyMaxAgeMs must be a positive number, got ${String(opts.historyMaxAgeMs)}`);
  }
  checkPid(opts.rootPid);
  const usage = opts.usage ?? pidusageFn(maxAge);
  const rescanEvery = opts.rescanEvery ?? 1;
  let calls = 0;
  let known: number[] = [];
  return {
    async sample(): Promise<ProcessTreeSample> {
      const t = now();
      // Scanning all of procfs is the sampler's main cost; between scans the known tree is read (dead pids drop out).
      const scan = calls++ % rescanEvery === 0 || known.length === 0;
      // Between scans the root is still checked: its exit must end the tree at once, zombie or not.
      const found = scan ? await findDescendants(opts.rootPid, procRoot) : (await rootRunning(opts.rootPid, procRoot)) ? known : [];
      let stats: Awaited<ReturnType<UsageFn>> = {};
      if (found.length > 0) {
        try {
          stats = await usage(found);
        } catch {
          stats = {}; // every pid vanished before pidusage read it (or /proc became unreadable)
        }
      }
      const processes: ProcessSample[] = [];
      for (const pid of found) {
        const s = stats[pid];
        if (!s || !Number.isFinite(s.memory) || !Number.isFinite(s.cpu)) continue;
        processes.push({ t, pid, rssBytes: s.memory, cpuPct: s.cpu });
      }
      known = processes.map((p) => p.pid);
      return {
        t,
        pids: known,
        rssBytes: processes.reduce((a, p) => a + p.rssBytes, 0),
        cpuPct: processes.reduce((a, p) => a + p.cpuPct, 0),
        processes,
      };
    },
  };
}

/** What the process sampler needs of one tree's sampler (createProcessTreeSampler; tests pass fakes). */
export type TreeSamplerFactory = (rootPid: number) => { sample(): Promise<Omit<ProcessTreeSample, 'processes'>> };

/**
 * The process trees of every tracked run, one reading per tick. A tree's sampler lives as long as its run is tracked
 * with the same pid (pidusage keeps CPU history per pid); one failing tree is reported, the others still read.
 */
export function createProcessSampler(o: { clock: Clock; targets: SamplerContext['targets']; tree: TreeSamplerFactory }): PeriodicSampler {
  const trees = new Map<string, { pid: number; tree: ReturnType<TreeSamplerFactory> }>();
  return periodicSampler({
    name: 'process-tree',
    async read(problem) {
      const t = o.clock.now();
      const targets = o.targets();
      const wanted = new Map(targets.map((x) => [x.runId, x.pid]));
      for (const [runId, e] of trees) if (wanted.get(runId) !== e.pid) trees.delete(runId);
      if (targets.length === 0) return null;
      const out: TreeReading[] = [];
      for (const { runId, pid } of targets) {
        try {
          let e = trees.get(runId);
          if (!e) trees.set(runId, (e = { pid, tree: o.tree(pid) }));
          const s = await e.tree.sample();
          out.push({ runId, t: s.t, pids: s.pids, rssBytes: s.rssBytes, cpuPct: s.cpuPct });
        } catch (err) {
          problem(`process tree of run ${runId} (pid ${pid}) could not be sampled: ${messageOf(err)}`);
        }
      }
      return { kind: 'process-trees', t, trees: out };
    },
  });
}

export const processTreeSampler: SamplerFactory = {
  name: 'process-tree',
  create: (ctx) =>
    createProcessSampler({
      clock: ctx.clock,
      targets: ctx.targets,
      tree: (pid) => createProcessTreeSampler({ rootPid: pid, procRoot: ctx.cfg.procRoot, now: () => ctx.clock.now(),
        historyMaxAgeMs: 4 * ctx.cfg.processSampleMs + 5000, rescanEvery: 5 }),
    }),
};
