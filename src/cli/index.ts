#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { cachedConfig } from '../config/cache.js';
import type { Config } from '../config/schema.js';
import { invalid, usage } from '../errors.js';
import { describeError, errorJson, prefixed, wantsJson } from './format.js';
import { packageVersion, wantsHelp } from './help.js';

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
  rm: () => import('./commands/rm.js'),
  compare: () => import('./commands/compare.js'),
};

/** Each command's --help text, kept next to its parser. */
const helps: Record<string, () => Promise<string>> = {
  run: async () => (await import('./run-args.js')).RUN_HELP,
  daemon: async () => (await commands.daemon()).DAEMON_HELP,
  runs: async () => (await commands.query()).RUNS_HELP,
  show: async () => (await commands.query()).SHOW_HELP,
  job: async () => (await commands.job()).JOB_HELP,
  import: async () => (await commands.import()).IMPORT_HELP,
  export: async () => (await commands.export()).EXPORT_HELP,
  evaluate: async () => (await commands.evaluate()).EVALUATE_HELP,
  estimate: async () => (await commands.estimate()).ESTIMATE_HELP,
  rm: async () => (await commands.rm()).RM_HELP,
  compare: async () => (await commands.compare()).COMPARE_HELP,
  watch: async () => (await commands.watch()).WATCH_HELP,
};

/** Whether argv asks for a command's help: for run only among its own options (the command's --help is the command's). */
async function helpRequested(cmd: string, rest: string[]): Promise<boolean> {
  if (cmd === 'run') return (await import('./run-args.js')).parseRunArgs(rest).help;
  return wantsHelp(rest);
}

const USAGE = `usage: profiler <command>
  run [--name NAME] [--epochs N] [--epoch-pattern REGEX] [--gpus LIST] [--meta KEY=VALUE]… [--job ID] [--quiet] [--pty] -- CMD [ARG…]
  daemon start | stop | status [--json] | run
  runs [--json] [--limit N] [--status S] [--name NAME] [--job ID]
  show RUN [--json]          RUN: an id, a unique id prefix, or "last"
  show --job ID [--json]     the job's runs on this node, summed
  job ID [--prometheus URL [--range DURATION]] [--json]   the job's energy across nodes
  import --gpu-csv FILE [--gpu-csv FILE…] [--epochs-csv FILE] [--mem-csv FILE] [--name NAME] [--meta KEY=VALUE]… [--json]
  export RUN --format csv|json|parquet|nvsmi|codecarbon|hf-card [--per-epoch] [--out PATH] [--force]
  evaluate [--json] [--window-s S] [--grid [--max-window W] [--max-offset K] [--start-epoch N]]
  watch [RUN] [--json] [--interval S]   live view of a run (default: the running one, else the last)
  rm RUN… [--force]          remove runs and the samples no other run shares
  compare RUN RUN… [--json]  runs side by side
  estimate --gflops X --train-samples N --val-samples N --batch-size N --input-size N [--gpu NAME] [--duration D] [--epochs N] [--json]
profiler COMMAND --help (or profiler help COMMAND): a command's options and an example; profiler --version: the version
environment: PROFILER_HOME, PROFILER_PORT, PROFILER_NVIDIA_SMI, PROFILER_SAMPLE_MS, PROFILER_TOKEN (see README)`;

interface Shared {
  values: { json?: boolean; limit?: string; job?: string; status?: string; name?: string };
  positionals: string[];
}

/** The options of `daemon`, `runs` and `show` (status and name: runs only); a line that does not parse is PROF_ERR_USAGE. */
function parseShared(cmd: string, args: string[]): Shared {
  let parsed: Shared;
  try {
    parsed = parseArgs({ args, allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, limit: { type: 'string' }, job: { type: 'string' },
        status: { type: 'string' }, name: { type: 'string' } } });
  } catch (err) {
    throw usage(`${(err as Error).message.split(/(?<=[^.])\. /)[0] ?? ''} (profiler ${cmd} --help)`, { cause: err });
  }
  const stray = cmd === 'runs' ? undefined : (['status', 'name'] as const).find((k) => parsed.values[k] !== undefined);
  if (stray) throw usage(`Unknown option '--${stray}' (profiler ${cmd} --help)`);
  return parsed;
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
  const topic = cmd === 'help' && rest[0] !== undefined ? helps[rest[0]] : undefined;
  if (topic !== undefined) {
    process.stdout.write((await topic()) + '\n');
    return 0;
  }
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    process.stdout.write(`profiler ${packageVersion()}\n`);
    return 0;
  }
  const help = helps[cmd];
  if (help !== undefined && (await helpRequested(cmd, rest))) {
    process.stdout.write((await help()) + '\n');
    return 0;
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
  if (cmd === 'rm') return (await commands.rm()).rmCommand(config, rest);
  if (cmd === 'compare') return (await commands.compare()).compareCommand(config, rest);
  const { values, positionals } = parseShared(cmd, rest);
  switch (cmd) {
    case 'daemon':
      return (await commands.daemon()).daemonCommand(config, positionals, values.json ?? false);
    case 'runs': {
      const limit = values.limit === undefined ? null : Number(values.limit);
      if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw invalid(`--limit must be a positive integer, got "${values.limit}"`);
      const query = await commands.query();
      const status = query.parseStatus(values.status);
      if (values.name === '') throw invalid('--name needs a non-empty NAME');
      return query.runsCommand(config, { json: values.json ?? false, limit, job: values.job, status, name: values.name });
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
    process.stderr.write(`${prefixed(describeError(err))}\n`);
    if (wantsJson(argv)) process.stdout.write(JSON.stringify(errorJson(err)) + '\n');
    process.exitCode = 2;
  },
);
