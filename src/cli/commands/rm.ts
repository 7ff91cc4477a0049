import { parseArgs } from 'node:util';
import type { Config } from '../../config/schema.js';
import { conflict, usage } from '../../errors.js';
import { withRunSet } from '../../runs/open.js';
import { removeRun } from '../../store/run-removal.js';
import { lockHeld } from '../daemon-control.js';
import { printable } from '../format.js';
import { argError, usageOf } from '../help.js';

export const RM_HELP = `Usage: profiler rm RUN… [--force]

Removes runs: each run's row, epochs, events and process samples, and the GPU, NVML and host samples of its
devices over its time that no other run covers (a sample two runs share, e.g. the same log imported twice, stays
for the other). RUN is an id, a unique id prefix, or "last". Every RUN is resolved before anything is removed.
A running run is refused; --force removes it only when no daemon holds PROFILER_HOME (a run left "running" by a
daemon that is gone), never one a daemon is recording.

Options:
  --force       also remove runs still marked running, when no daemon runs
  -h, --help    this help

Example:
  profiler rm 0mfk2a1bc7f3 last`;

/** `profiler rm RUN…`: removes runs and the samples only they hold. */
export async function rmCommand(cfg: Config, argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { force: { type: 'boolean', default: false } } });
  } catch (err) {
    throw argError(err, RM_HELP, 'rm');
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw usage(`profiler rm: give at least one RUN\n${usageOf(RM_HELP)}`);
  const force = values.force ?? false;
  return withRunSet(cfg, (set) => {
    const rows = [...new Map(positionals.map((ref) => set.runs.resolve(ref)).map((r) => [r.rid, r])).values()];
    const running = rows.filter((r) => r.status === 'running');
    if (running.length > 0 && (!force || lockHeld(cfg))) {
      const ids = running.map((r) => r.id).join(', ');
      throw conflict(force ? `run ${ids} is running and a daemon holds ${cfg.home}: let it end (or stop its command) first`
        : `run ${ids} is running: let it end first, or --force once no daemon records it`);
    }
    for (const r of rows) {
      const n = removeRun(set.db, r.rid, { running: force });
      process.stdout.write(`${r.id}\n`);
      process.stderr.write(printable(`removed run ${r.id}${r.name ? ` (${r.name})` : ''}: ${n.gpuSamples} GPU samples, ` +
        `${n.procSamples} process samples, ${n.hostSamples} host samples, ${n.epochs} epochs\n`));
    }
    return 0;
  });
}
