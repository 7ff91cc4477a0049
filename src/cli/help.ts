import { readFileSync } from 'node:fs';
import { asProfilerError, usage, type ProfilerError } from '../errors.js';

/** Whether `--help` or `-h` comes before any `--` (after it, the words are a command's own). */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** The help's usage lines: from its first line up to the first blank one. */
export function usageOf(help: string): string {
  const blank = help.indexOf('\n\n');
  return blank < 0 ? help : help.slice(0, blank);
}

/**
 * A parse error of node:util's parseArgs as one line plus the usage: its first sentence only (the rest suggests
 * `-- "--x"` with an unbalanced quote), and a pointer to --help.
 */
export function argError(err: unknown, help: string, cmd: string): ProfilerError {
  const message = asProfilerError(err).message;
  const first = message.split(/(?<=[^.])\. /)[0]?.replace(/\.$/, '') ?? message;
  return usage(`${first}\n${usageOf(help)}\n(profiler ${cmd} --help for more)`, { cause: err });
}

/** The package's version, from the package.json above this module (dist/ or .test-build/src/; a regex: no JSON.parse outside store/). */
export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const text = readFileSync(new URL(up, import.meta.url), 'utf8');
      const v = /"name"\s*:\s*"train-profiler"[\s\S]*?"version"\s*:\s*"([^"]+)"/.exec(text)?.[1];
      if (v !== undefined) return v;
    } catch {
      /* not at this level */
    }
  }
  return 'unknown';
}
