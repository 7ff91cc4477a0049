import type { EpochDetector, EpochEvent } from './types.js';
import { detectorFromMatchers, type LineMatcher } from './line-splitter.js';
import { badEpochPattern } from '../errors.js';

const EXAMPLE = String.raw`^Epoch (?<epoch>\d+)/(?<total>\d+)`;
const LITERAL = /^\/(.+)\/([a-z]*)$/s;

/** Names of the named capture groups in a regex source (escapes and character classes skipped). */
export function namedGroups(source: string): string[] {
  const names: string[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' && source.startsWith('?<', i + 1) && !'=!'.includes(source[i + 3] ?? '')) {
      const close = source.indexOf('>', i + 3);
      if (close > 0) names.push(source.slice(i + 3, close));
    }
  }
  return names;
}

/**
 * Validates a user `--epoch-pattern`: a JavaScript regex source, or `/source/flags`, with a named group `epoch`
 * and optionally `total`. Throws PROF_ERR_EPOCH_PATTERN saying what is wrong, with an example.
 */
export function compileEpochPattern(src: string): RegExp {
  if (typeof src !== 'string' || src.trim() === '') {
    throw badEpochPattern(`--epoch-pattern is empty; give a regex with a named group "epoch", e.g. ${EXAMPLE}`);
  }
  const literal = LITERAL.exec(src);
  const source = literal ? literal[1]! : src;
  const flags = literal ? literal[2]! : '';
  if (/[gy]/.test(flags)) {
    throw badEpochPattern(`--epoch-pattern ${JSON.stringify(src)}: flags "g" and "y" are not allowed (lines are matched one at a time)`);
  }
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (err) {
    throw badEpochPattern(`--epoch-pattern ${JSON.stringify(src)} is not a valid JavaScript regex: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!namedGroups(source).includes('epoch')) {
    throw badEpochPattern(`--epoch-pattern ${JSON.stringify(src)} has no named group "epoch"; write it as (?<epoch>\\d+), e.g. ${EXAMPLE}`);
  }
  return re;
}

/** Reads a captured number; null when absent or not a whole non-negative number. */
function wholeNumber(text: string | undefined): number | null {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** A user's regex: each line that matches starts the captured epoch, printed exactly as captured. */
export function createPatternMatcher(pattern: RegExp): LineMatcher {
  let last: number | null = null;
  let total: number | null = null;
  return {
    line(text) {
      const groups = pattern.exec(text)?.groups;
      if (!groups) return [];
      const epoch = wholeNumber(groups.epoch);
      if (epoch === null) return [];
      const captured = wholeNumber(groups.total);
      if (captured !== null && captured > 0) total = captured;
      // Progress lines repeat the same epoch many times; only a change starts one.
      if (epoch === last) return [];
      last = epoch;
      const event: EpochEvent = { kind: 'start', printed: epoch, total, source: 'pattern' };
      return [event];
    },
  };
}

export function createPatternDetector(pattern: string | RegExp): EpochDetector {
  const re = typeof pattern === 'string' ? compileEpochPattern(pattern) : pattern;
  return detectorFromMatchers([createPatternMatcher(re)]);
}
