// Pass-through cost: a chatty command's wall time bare and under `profiler run`, both piped into `wc -c`, interleaved.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Runs the command it is given and appends its own lifetime (start and end, bash's EPOCHREALTIME in seconds) to
 * $PASSTHROUGH_TIMES: the same harness bare and under `profiler run`, so both lifetimes hold the command's start-up
 * and its writes into whatever pipe it was given, and neither holds the profiler's start or the wait for the sample
 * that closes the run (the fixed cost, measured on its own as `run -- true`).
 */
const TIMED = `s=$EPOCHREALTIME
"$@"
rc=$?
printf '%s %s\\n' "$s" "$EPOCHREALTIME" >> "$PASSTHROUGH_TIMES"
exit $rc
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

/** The lifetime (ms) of the command the harness ran last, from its times file. */
function lastLifetime(file: string): number {
  const line = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
  const [s, e] = line.split(' ').map((v) => Number(v.replace(',', '.'))); // EPOCHREALTIME follows the locale's point
  if (!(Number.isFinite(s) && Number.isFinite(e))) throw internal(`harness times: unreadable line ${JSON.stringify(line)}`);
  return ((e as number) - (s as number)) * 1000;
}

interface Workload {
  key: string;
  title: string;
  script: string;
  arg: number;
  params: Record<string, number | string>;
}

/**
 * Wrapped/bare ratios, each pair run back to back so load drifts hit both: the whole wall time (the profiler's fixed
 * start and finish included) and the command's own lifetime (how much the copy slowed the command itself); plus the
 * fixed cost of `run -- true`.
 */
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
    const times = join(home, 'times');
    const env = { ...d.env, PYTHONUNBUFFERED: '1', PASSTHROUGH_TIMES: times };
    const profiler = `'${process.execPath}' '${cliPath()}' run --quiet --`;
    for (const w of workloads) writeFileSync(join(home, `${w.key}.py`), w.script);
    writeFileSync(join(home, 'timed.sh'), TIMED);
    await wall(`${profiler} true`, env); // warms the daemon's routes and GPU stream
    const figures: Figure[] = [];
    const fixed: number[] = [];
    for (let r = 0; r < runs; r++) fixed.push((await wall(`${profiler} true`, env)) - (await wall('true', env)));
    for (const w of workloads) {
      const cmd = `bash '${join(home, 'timed.sh')}' python3 '${join(home, `${w.key}.py`)}' ${w.arg}`;
      const bytes = await byteCount(`${cmd} 2>&1 | wc -c`, env);
      const gross: number[] = [];
      const own: number[] = [];
      let bareMin = Infinity;
      for (let r = 0; r < runs; r++) {
        const bare = await wall(`${cmd} 2>&1 | wc -c`, env, bytes);
        const bareOwn = lastLifetime(times);
        const wrapped = await wall(`${profiler} ${cmd} 2>&1 | wc -c`, env, bytes);
        bareMin = Math.min(bareMin, bare);
        gross.push(wrapped / bare);
        own.push(lastLifetime(times) / bareOwn);
      }
      const target = { op: '<=' as const, value: 1.15 };
      figures.push(
        // A short command's wall is mostly the fixed cost (item `passthrough/fixed`): the chatty run's is its target.
        figure(`passthrough/${w.key}/ratio`, w.title, w.params, 'x', gross, w.key === 'chatty' ? target : null,
          `bare ${(bareMin / 1000).toFixed(2)} s (fastest); includes the fixed start/finish cost`),
        figure(`passthrough/${w.key}/command-ratio`, 'the command\'s own lifetime, wrapped/bare', w.params, 'x', own,
          w.key === 'bulk' ? null : target, 'from its start to its exit, written by a bash harness around it in both cases'),
      );
    }
    figures.push(figure('passthrough/fixed', '`run -- true` added latency (same daemon)', { runs }, 'ms', fixed));
    return figures;
  } finally {
    await d.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
