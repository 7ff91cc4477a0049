#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { cachedConfig } from '../config/cache.js';
import type { Config } from '../config/schema.js';
import { invalid, usage } from '../errors.js';
import { describeError, errorJson, wantsJson } from './format.js';

// Commands are loaded when called: `profiler run` must not pay for the daemon's web stack (~400 ms) at start-up.
const commands = {
  run: () => import('./commands/run.js'),
  daemon: () => import('./commands/daemon.js'),
  query: () => import('./commands/query.js'),
  import: () => import('./commands/import.js'),
  export: () => import('./commands/export.js'),
  evaluate: () => import('./commands/evaluate.js'),
  estimate: () => import('./commands/estimate.js'),
  job: () => import('./commands/job.js'),
  watch: () => import('./commands/watch.js'),
};

const USAGE = `usage: profiler <command>
  run [--name NAME] [--epochs N] [--epoch-pattern REGEX] [--gpus LIST] [--meta KEY=VALUE]… [--job ID] [--quiet] [--pty] -- CMD [ARG…]
  daemon start | stop | status [--json] | run
  runs [--json] [--limit N] [--job ID]
  show RUN [--json]          RUN: an id, a unique id prefix, or "last"
  show --job ID [--json]     the job's runs on this node, summed
  job ID [--prometheus URL [--range DURATION]] [--json]   the job's energy across nodes
  import --gpu-csv FILE [--gpu-csv FILE…] [--epochs-csv FILE] [--mem-csv FILE] [--name NAME] [--meta KEY=VALUE]… [--json]
  export RUN --format csv|json|parquet|nvsmi|codecarbon|hf-card [--per-epoch] [--out PATH] [--force]
  evaluate [--json] [--window-s S] [--grid [--max-window W] [--max-offset K] [--start-epoch N]]
  watch [RUN] [--json] [--interval S]   live view of a run (default: the running one, else the last)
  estimate --gflops X --train-samples N --val-samples N --batch-size N --input-size N [--gpu NAME] [--duration D] [--epochs N] [--json]
environment: PROFILER_HOME, PROFILER_PORT, PROFILER_NVIDIA_SMI, PROFILER_SAMPLE_MS, PROFILER_TOKEN (see README)`;

/** The options of `daemon`, `runs` and `show`; a line that does not parse is PROF_ERR_USAGE. */
function parseShared(args: string[]): { values: { json?: boolean; limit?: string; job?: string }; positionals: string[] } {
  try {
    return parseArgs({ args, allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, limit: { type: 'string' }, job: { type: 'string' } } });
  } catch (err) {
    throw usage((err as Error).message, { cause: err });
  }
}

/** The validated configuration: from the cache when nothing it was made of changed, else validated (and cached). */
async function configuration(): Promise<Config> {
  const cache = cachedConfig(process.env);
  if (cache.config) return cache.config;
  const config = (await import('../config/load.js')).loadConfig();
  cache.save(config);
  return config;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd === undefined ? 2 : 0;
  }
  const config = await configuration();
  if (cmd === 'run') return (await commands.run()).runCommand(config, rest);
  // `profiler runs | head`: a reader that went away ends the listing quietly, as for any Unix tool (not for `run`,
  // whose command must go on: it handles its own pipes).
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  if (cmd === 'import') return (await commands.import()).importCommand(config, rest);
  if (cmd === 'export') return (await commands.export()).exportCommand(config, rest);
  if (cmd === 'evaluate') return (await commands.evaluate()).evaluateCommand(config, rest);
  if (cmd === 'estimate') return (await commands.estimate()).estimateCommand(config, rest);
  if (cmd === 'job') return (await commands.job()).jobCommand(config, rest);
  if (cmd === 'watch') return (await commands.watch()).watchCommand(config, rest);
  const { values, positionals } = parseShared(rest);
  switch (cmd) {
    case 'daemon':
      return (await commands.daemon()).daemonCommand(config, positionals, values.json ?? false);
    case 'runs': {
      const limit = values.limit === undefined ? null : Number(values.limit);
      if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw invalid(`--limit must be a positive integer, got "${values.limit}"`);
      return (await commands.query()).runsCommand(config, { json: values.json ?? false, limit, job: values.job });
    }
    case 'show':
      if (values.job !== undefined && positionals.length === 0) return (await commands.job()).localJobCommand(config, values.job, values.json ?? false);
      if (values.job !== undefined) throw usage('usage: profiler show --job ID [--json] (no RUN with --job)');
      if (positionals.length !== 1) throw usage('usage: profiler show RUN [--json]');
      return (await commands.query()).showCommand(config, positionals[0] as string, { json: values.json ?? false });
    default:
      throw usage(`unknown command "${cmd}"\n${USAGE}`);
  }
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One line a person reads on stderr; with --json also the same error as JSON on stdout, for scripts.
    process.stderr.write(`profiler: ${describeError(err)}\n`);
    if (wantsJson(argv)) process.stdout.write(JSON.stringify(errorJson(err)) + '\n');
    process.exitCode = 2;
  },
);
