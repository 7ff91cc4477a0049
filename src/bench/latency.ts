// Latency `profiler run` adds to a command: `profiler run -- true` against a warm daemon vs bare `true`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCapture } from '../platform/exec.js';
import { cliPath, figure, median, sleep, startDaemon, type Figure } from './util.js';
import { internal } from '../errors.js';

const SAMPLE_MS = 100;

async function wall(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const r = await execCapture(cmd, args, { timeoutMs: 60_000, env });
  if (r.code !== 0) throw internal(`${cmd} ${args.join(' ')} exited with ${r.code}: ${r.stderr}`);
  return performance.now() - t0;
}

/** Interleaved runs (bare, wrapped, node alone) so drifts in machine load hit all three alike. */
export async function benchLatency(opts: { quick: boolean }): Promise<Figure[]> {
  const home = mkdtempSync(join(tmpdir(), 'bench-latency-'));
  const runs = opts.quick ? 2 : 20;
  const d = await startDaemon(home, { gpus: 8, sampleMs: SAMPLE_MS });
  try {
    const env = d.env;
    await wall(process.execPath, [cliPath(), 'run', '--', 'true'], env); // warms the daemon's routes and GPU stream
    const bare: number[] = [];
    const wrapped: number[] = [];
    const node: number[] = [];
    for (let r = 0; r < runs; r++) {
      // The finish waits for each GPU's first sample at or after the command's end: up to one sampling interval,
      // depending on where in the interval the command ends. Back-to-back runs fall at the same phase every time
      // (each starts just after the last finish, which follows a sample), so the median was that phase's luck; the
      // wrapped runs here start at phases spread over the interval, as a user's commands end at any time.
      await sleep(((r * 37) % 100) / 100 * SAMPLE_MS);
      bare.push(await wall('true', [], env));
      wrapped.push(await wall(process.execPath, [cliPath(), 'run', '--', 'true'], env));
      node.push(await wall(process.execPath, ['-e', ''], env));
    }
    const added = wrapped.map((w, k) => w - bare[k]!);
    const params = { runs, gpus: 8, sampleMs: SAMPLE_MS };
    return [
      figure('latency/profiler-run-true/added', 'profiler run added latency', params, 'ms', added, { op: '<=', value: 150 },
        `bare true median ${median(bare).toFixed(1)} ms`),
      figure('latency/node-start', 'node start-up alone (reference)', { runs }, 'ms', node),
      // The same run's figures as a ratio, as the machine's speed drifts: Node's start-up is most of the fixed part.
      figure('latency/profiler-run-true/node-ratio', 'profiler run added latency / node start-up', params, 'x',
        added.map((a, k) => a / node[k]!)),
    ];
  } finally {
    await d.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
