import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homeFiles } from '../platform/paths.js';
import { RUN_ID_RE } from '../store/run-id.js';
import type { FinishRequest } from './lifecycle.js';

/** A client's report of how its command ended, kept on disk until a daemon records it. */
export interface PendingOutcome extends FinishRequest {
  runId: string;
}

/**
 * Saves the outcome a client could not deliver (no daemon answered at the end), so that the exit code is never
 * lost: the next daemon applies it. Returns the file, or null when the home cannot be written either.
 */
export function saveOutcome(home: string, o: PendingOutcome): string | null {
  if (!RUN_ID_RE.test(o.runId)) return null;
  let file: string | null = null;
  try {
    const dir = homeFiles(home).outcomes;
    file = join(dir, `${o.runId}.json`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, JSON.stringify(o), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    return file;
  } catch {
    try {
      if (file) rmSync(`${file}.tmp`, { force: true });
    } catch {
      /* the home is not writable at all: nothing was left */
    }
    return null;
  }
}

/** The outcomes waiting in the home, oldest file name first; unreadable ones are dropped with their file. */
export function pendingOutcomes(home: string): PendingOutcome[] {
  const dir = homeFiles(home).outcomes;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: PendingOutcome[] = [];
  for (const n of names) {
    try {
      const o = JSON.parse(readFileSync(join(dir, n), 'utf8')) as Partial<PendingOutcome>;
      const ok = typeof o.runId === 'string' && RUN_ID_RE.test(o.runId) && `${o.runId}.json` === n && typeof o.endedAt === 'number' &&
        Number.isFinite(o.endedAt) && (o.exitCode === null || Number.isInteger(o.exitCode)) && (o.signal === null || typeof o.signal === 'string');
      if (ok) out.push({ runId: o.runId as string, exitCode: o.exitCode ?? null, signal: o.signal ?? null, endedAt: o.endedAt as number });
      else dropOutcome(home, n.slice(0, -5));
    } catch {
      dropOutcome(home, n.slice(0, -5));
    }
  }
  return out;
}

export function dropOutcome(home: string, runId: string): void {
  rmSync(join(homeFiles(home).outcomes, `${runId}.json`), { force: true });
}
