// Daemon cost while sampling: CPU of the daemon process alone, its peak RSS, and samples dropped between the fake
// nvidia-smi's output and the gpu_samples table.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCapture, spawnProcess } from '../platform/exec.js';
import { homeFiles } from '../platform/paths.js';
import { openDatabase } from '../store/db.js';
import { cpuTicks, figure, peakRssMB, postJson, sleep, startDaemon, type Figure } from './util.js';
import { internal } from '../errors.js';

export interface DaemonSample {
  /** CPU over the measured window, which starts `warmS` after the run was registered. */
  cpuPct: number;
  /** CPU over the warm-up itself (start-up's compilation settling, the first attribution polls). */
  warmCpuPct: number;
  peakRssMB: number;
  emitted: number;
  stored: number;
  dropped: number;
}

/** Sums the fake's per-process counters: lines emitted and the newest tick's time. */
function readEmitted(home: string): { lines: number; lastT: number } | null {
  let lines = 0;
  let lastT = 0;
  for (const f of readdirSync(home).filter((x) => x.startsWith('emitted.'))) {
    const m = /^(\d+) (\d+)\n$/.exec(readFileSync(join(home, f), 'utf8'));
    if (!m) return null; // caught mid-write
    lines += Number(m[1]);
    lastT = Math.max(lastT, Number(m[2]));
  }
  return lastT > 0 ? { lines, lastT } : null;
}

/** One daemon: start, register a run whose process is a sleeping child, measure over `seconds`, then stop. */
export async function measureDaemon(opts: { gpus: number; seconds: number; warmS: number }): Promise<DaemonSample> {
  const home = mkdtempSync(join(tmpdir(), 'bench-daemon-'));
  const hz = Number((await execCapture('getconf', ['CLK_TCK'], { timeoutMs: 5000 })).stdout.trim()) || 100;
  const d = await startDaemon(home, { gpus: opts.gpus, sampleMs: 100, extraEnv: { FAKE_SMI_COUNT_FILE: join(home, 'emitted') } });
  const sleeper = spawnProcess('sleep', [String(opts.seconds + opts.warmS + 30)], { stdio: 'ignore' });
  try {
    const run = await postJson(`${d.url}/v1/runs`, { command: ['sleep'], pid: sleeper.pid ?? null, expectedEpochs: 10 });
    const w0 = cpuTicks(d.pid);
    const tw = performance.now();
    await sleep(opts.warmS * 1000);
    const c0 = cpuTicks(d.pid);
    const t0 = performance.now();
    const warmCpuPct = ((c0 - w0) / hz / ((t0 - tw) / 1000)) * 100;
    await sleep(opts.seconds * 1000);
    const cpuPct = ((cpuTicks(d.pid) - c0) / hz / ((performance.now() - t0) / 1000)) * 100;
    const rss = peakRssMB(d.pid);
    // Lines up to the fake's last tick, against rows up to that time once a flush (500 ms) has stored them.
    let em: { lines: number; lastT: number } | null = null;
    for (let k = 0; k < 10 && em === null; k++) em = readEmitted(home);
    if (!em) throw internal('the fake nvidia-smi wrote no line counter');
    await sleep(1500);
    const db = openDatabase(homeFiles(home).db, { readonly: true });
    const stored = (db.prepare('SELECT count(*) AS n FROM gpu_samples WHERE t <= ?').get(em.lastT) as { n: number }).n;
    db.close();
    await postJson(`${d.url}/v1/runs/${String(run.id)}/finish`, { exitCode: 0 });
    return { cpuPct, warmCpuPct, peakRssMB: rss, emitted: em.lines, stored, dropped: em.lines - stored };
  } finally {
    sleeper.kill();
    await d.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Full: 3 daemons, each 30 s of warm-up then 60 s measured, 8 GPUs at 100 ms. Quick: 1 daemon, 1 s then 2 s. The
 * target is the steady state a training run lives in for hours; the first 30 s (V8 still compiling the sampling path
 * at its higher tiers, the first attribution polls) are reported beside it.
 */
export async function benchDaemon(opts: { quick: boolean }): Promise<Figure[]> {
  const gpus = 8;
  const seconds = opts.quick ? 2 : 60;
  const warmS = opts.quick ? 1 : 30;
  const runs = opts.quick ? 1 : 3;
  const got: DaemonSample[] = [];
  for (let r = 0; r < runs; r++) got.push(await measureDaemon({ gpus, seconds, warmS }));
  const params = { gpus, sampleMs: 100, seconds, afterS: warmS };
  const note = `emitted ${got.map((g) => g.emitted).join('/')} lines, stored ${got.map((g) => g.stored).join('/')}`;
  return [
    figure(`daemon/cpu/gpus=${gpus}/s=${seconds}`, 'daemon CPU (% of one core), steady', params, '%', got.map((g) => g.cpuPct), { op: '<=', value: 1 }),
    figure(`daemon/cpu-first/gpus=${gpus}/s=${warmS}`, 'daemon CPU (% of one core), first seconds of a run', { gpus, sampleMs: 100, seconds: warmS },
      '%', got.map((g) => g.warmCpuPct), null, 'from the run\'s registration; informational'),
    figure(`daemon/rss/gpus=${gpus}/s=${seconds}`, 'daemon peak RSS', params, 'MB', got.map((g) => g.peakRssMB), { op: '<=', value: 80 }),
    figure(`daemon/dropped/gpus=${gpus}/s=${seconds}`, 'samples dropped', params, 'rows', got.map((g) => g.dropped), { op: '<=', value: 0 }, note),
  ];
}
