// Latency `profiler run` adds to a command: `profiler run -- true` against a warm daemon vs bare `true`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCapture } from '../platform/exec.js';
import { cliPath, figure, median, startDaemon, type Figure } from './util.js';
import { internal } from '../errors.js';

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
  const d = await startDaemon(home, { gpus: 8, sampleMs: 100 });
  try {
    const env = d.env;
    await wall(process.execPath, [cliPath(), 'run', '--', 'true'], env); // warms the daemon's routes and GPU stream
    const bare: number[] = [];
    const wrapped: number[] = [];
    const node: number[] = [];
    for (let r = 0; r < runs; r++) {
      bare.push(await wall('true', [], env));
      wrapped.push(await wall(process.execPath, [cliPath(), 'run', '--', 'true'], env));
      node.push(await wall(process.execPath, ['-e', ''], env));
    }
    const added = wrapped.map((w, k) => w - bare[k]!);
    const params = { runs, gpus: 8, sampleMs: 100 };
    return [
      figure('latency/profiler-run-true/added', 'profiler run added latency', params, 'ms', added, { op: '<=', value: 150 },
        `bare true median ${median(bare).toFixed(1)} ms`),
      figure('latency/node-start', 'node start-up alone (reference)', { runs }, 'ms', node),
    ];
  } finally {
    await d.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
