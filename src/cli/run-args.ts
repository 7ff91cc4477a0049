import { compileEpochPattern } from '../epochs/index.js';
import { invalid, usage } from '../errors.js';
import { parseEnergy, type BudgetSpec } from '../runs/budget.js';

export interface RunArgs {
  name: string | null;
  epochs: number | null;
  epochPattern: string | null;
  gpus: string | null;
  meta: Record<string, string>;
  quiet: boolean;
  /** Run the command on a pseudo-terminal (optional package @lydell/node-pty). */
  pty: boolean;
  /** `--job ID`; checked when the job is resolved (src/cli/job-env.ts). */
  job: string | null;
  /** `--budget ENERGY [--on-budget warn|stop]`. */
  budget: BudgetSpec | null;
  command: string[];
  /** `--help` or `-h` among the options: print RUN_HELP, run nothing. */
  help: boolean;
}

export const RUN_HELP = `Usage: profiler run [options] -- CMD [ARG…]

Runs CMD (no shell) exactly as without the profiler, and records its GPU, RAM and CPU energy through the daemon
(started when none answers). Its exit status is CMD's (128 + signal when CMD dies of a signal); a summary goes
to stderr at the end. Options end at \`--\` or at the first word that is not an option.

Options:
  --name NAME             a name for the run
  --epochs N              the number of epochs expected (enables the projection of the total)
  --epoch-pattern REGEX   a JavaScript regex with a named group (?<epoch>…) and optionally (?<total>…)
  --gpus LIST             GPU indices or UUIDs to measure, separated by commas (default: those the run uses)
  --meta KEY=VALUE        a key/value stored with the run (repeatable)
  --job ID                the job this run belongs to (SLURM and torchelastic are read by themselves)
  --budget ENERGY         an energy budget: 2.5kWh, 9000kJ, 500J
  --on-budget warn|stop   what to do once the budget is exceeded (default warn)
  --pty                   run CMD on a pseudo-terminal (progress bars as in a terminal)
  -q, --quiet             no summary at the end
  -h, --help              this help

Example:
  profiler run --name resnet --epochs 10 -- python train.py --lr 0.1`;

/**
 * `profiler run [options] -- CMD [ARG…]`. Options end at `--` or at the first word that is not an option, so
 * `profiler run python train.py --lr 1` also works; everything after belongs to CMD untouched.
 */
export function parseRunArgs(argv: string[]): RunArgs {
  const a: RunArgs = { name: null, epochs: null, epochPattern: null, gpus: null, meta: {}, quiet: false, pty: false, job: null, budget: null, command: [], help: false };
  let onBudget: string | null = null;
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw usage(`profiler run: ${flag} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-')) break;
    const eq = arg.indexOf('=');
    const flag = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const inline = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : undefined;
    const get = (): string => inline ?? value(flag);
    switch (flag) {
      case '--name':
        a.name = get();
        break;
      case '--epochs': {
        const v = get();
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10_000_000) {
          throw invalid(`profiler run: --epochs must be a positive integer, got "${v}"`);
        }
        a.epochs = Number(v);
        break;
      }
      case '--epoch-pattern':
        a.epochPattern = get();
        compileEpochPattern(a.epochPattern);
        break;
      case '--gpus': {
        const v = get().trim();
        if (!/^[\w:-]+(,[\w:-]+)*$/.test(v)) throw invalid(`profiler run: --gpus takes indices or UUIDs separated by commas, got "${v}"`);
        a.gpus = v;
        break;
      }
      case '--meta': {
        const v = get();
        const k = v.indexOf('=');
        if (k < 1) throw invalid(`profiler run: --meta takes KEY=VALUE, got "${v}"`);
        a.meta[v.slice(0, k)] = v.slice(k + 1);
        break;
      }
      case '--job':
        a.job = get();
        break;
      case '--quiet':
      case '-q':
        a.quiet = true;
        break;
      case '--pty':
        a.pty = true;
        break;
      case '--help':
      case '-h':
        a.help = true;
        return a;
      case '--budget': {
        const v = get();
        try {
          a.budget = { limitJ: parseEnergy(v), action: 'warn' };
        } catch (err) {
          throw invalid(`profiler run: --budget: ${(err as Error).message}`);
        }
        break;
      }
      case '--on-budget':
        onBudget = get();
        if (onBudget !== 'warn' && onBudget !== 'stop') throw invalid(`profiler run: --on-budget is warn or stop, got "${onBudget}"`);
        break;
      default:
        throw usage(`profiler run: unknown option "${arg}" (put the command after --)`);
    }
  }
  if (onBudget !== null) {
    if (!a.budget) throw usage('profiler run: --on-budget needs --budget ENERGY');
    a.budget.action = onBudget as BudgetSpec['action'];
  }
  a.command = argv.slice(i);
  if (a.command.length === 0) throw usage('profiler run: no command given: profiler run [options] -- CMD [ARG…]');
  return a;
}
