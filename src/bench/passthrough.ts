// Pass-through cost: a chatty command's wall time bare and under `profiler run`, both piped into `wc -c`, interleaved.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCapture } from '../platform/exec.js';
import { cliPath, figure, startDaemon, type Figure } from './util.js';
import { internal } from '../errors.js';

/** 100-byte lines on stdout with a `\r` progress stream on stderr, as a training loop with tqdm prints. */
const CHATTY = `import sys
n = int(sys.argv[1])
line = ('x' * 88) + ' step %08d\\n'
out = sys.stdout.write
err = sys.stderr.write
for k in range(n):
    out(line % k)
    if k % 1000 == 0:
        err('\\r%3d%%|%s|' % (k * 100 // n, '#' * (k * 40 // n)))
err('\\n')
`;

/** One line of `mb` MB in 64 KiB writes, never terminated: the line splitter must neither buffer it all nor stall. */
const LONG_LINE = `import sys
mb = int(sys.argv[1])
chunk = b'y' * 65536
for _ in range(mb * 16):
    sys.stdout.buffer.write(chunk)
`;

/** Wall time of a bash pipeline that must succeed end to end (pipefail) and, when given, print `bytes` (its `wc -c`). */
async function wall(shell: string, env: NodeJS.ProcessEnv, bytes?: number): Promise<number> {
  const t0 = performance.now();
  const r = await execCapture('bash', ['-o', 'pipefail', '-c', shell], { timeoutMs: 300_000, env });
  const ms = performance.now() - t0;
  if (r.code !== 0) throw internal(`${shell} exited with ${r.code}: ${r.stderr.slice(-500)}`);
  if (bytes !== undefined && Number(r.stdout.trim()) !== bytes) throw internal(`${shell} passed ${r.stdout.trim()} bytes, bare ${bytes}`);
  return ms;
}

async function byteCount(shell: string, env: NodeJS.ProcessEnv): Promise<number> {
  const r = await execCapture('bash', ['-o', 'pipefail', '-c', shell], { timeoutMs: 300_000, env });
  if (r.code !== 0) throw internal(`${shell} exited with ${r.code}: ${r.stderr.slice(-500)}`);
  return Number(r.stdout.trim());
}

interface Workload {
  key: string;
  title: string;
  script: string;
  arg: number;
  params: Record<string, number | string>;
}

/** Wrapped/bare wall-time ratios, each pair run back to back so load drifts hit both; plus the fixed cost of `run -- true`. */
export async function benchPassthrough(opts: { quick: boolean }): Promise<Figure[]> {
  const home = mkdtempSync(join(tmpdir(), 'bench-passthrough-'));
  const runs = opts.quick ? 1 : 7;
  const lines = opts.quick ? 20_000 : 2_000_000;
  const workloads: Workload[] = [
    { key: 'chatty', title: 'pass-through wall, wrapped/bare', script: CHATTY, arg: lines, params: { lines, lineBytes: 100, stderr: 'progress \\r' } },
    { key: 'long-line', title: 'pass-through wall, wrapped/bare', script: LONG_LINE, arg: 5, params: { lineMB: 5, newline: 'none' } },
    // Bulk bytes at full pipe speed (~1 GB/s): the relay is a second pipe hop, a cost a terminal would dwarf.
    ...(opts.quick ? [] : [{ key: 'bulk', title: 'pass-through wall, wrapped/bare (reference: bulk)', script: LONG_LINE, arg: 500, params: { lineMB: 500, newline: 'none' } }]),
  ];
  const d = await startDaemon(home, { gpus: 8, sampleMs: 100 });
  try {
    const env = { ...d.env, PYTHONUNBUFFERED: '1' };
    const profiler = `'${process.execPath}' '${cliPath()}' run --quiet --`;
    for (const w of workloads) writeFileSync(join(home, `${w.key}.py`), w.script);
    await wall(`${profiler} true`, env); // warms the daemon's routes and GPU stream
    const figures: Figure[] = [];
    const fixed: number[] = [];
    for (let r = 0; r < runs; r++) fixed.push((await wall(`${profiler} true`, env)) - (await wall('true', env)));
    for (const w of workloads) {
      const cmd = `python3 '${join(home, `${w.key}.py`)}' ${w.arg} 2>&1 | wc -c`;
      const wrappedCmd = `${profiler} python3 '${join(home, `${w.key}.py`)}' ${w.arg} 2>&1 | wc -c`;
      const bytes = await byteCount(cmd, env);
      const gross: number[] = [];
      const net: number[] = [];
      let bareMin = Infinity;
      for (let r = 0; r < runs; r++) {
        const bare = await wall(cmd, env, bytes);
        const wrapped = await wall(wrappedCmd, env, bytes);
        bareMin = Math.min(bareMin, bare);
        gross.push(wrapped / bare);
        net.push((wrapped - (fixed[r] ?? 0)) / bare);
      }
      const target = w.key === 'bulk' ? null : { op: '<=' as const, value: 1.15 };
      figures.push(
        figure(`passthrough/${w.key}/ratio`, w.title, w.params, 'x', gross, target,
          `bare ${(bareMin / 1000).toFixed(2)} s (fastest); includes the fixed start/finish cost`),
        figure(`passthrough/${w.key}/copy-ratio`, 'pass-through copy, wrapped/bare (fixed cost removed)', w.params, 'x', net,
          target, 'wrapped minus the same round\'s `run -- true` added latency'),
      );
    }
    figures.push(figure('passthrough/fixed', '`run -- true` added latency (same daemon)', { runs }, 'ms', fixed));
    return figures;
  } finally {
    await d.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
