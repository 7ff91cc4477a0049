import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const FIXTURE_DIR = path.resolve('test/fixtures/nvidia-smi');

export interface FixtureSection {
  /** The `# ---- verbatim …` marker line that opens the section. */
  marker: string;
  /** The verbatim output below the marker, up to the next marker (newline-terminated lines). */
  text: string;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).filter((f) => /^\d\d_/.test(f)).sort();
}

export function readFixture(name: string): string {
  return readFileSync(path.join(FIXTURE_DIR, name), 'utf8');
}

/** Splits a fixture on its `# ---- verbatim` markers (provenance = every line up to the first one). */
export function fixtureSections(name: string): FixtureSection[] {
  const lines = readFixture(name).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const sections: FixtureSection[] = [];
  let current: { marker: string; lines: string[] } | null = null;
  for (const line of lines) {
    if (line.startsWith('# ---- verbatim')) {
      if (current) sections.push({ marker: current.marker, text: current.lines.map((l) => `${l}\n`).join('') });
      current = { marker: line, lines: [] };
    } else current?.lines.push(line);
  }
  if (current) sections.push({ marker: current.marker, text: current.lines.map((l) => `${l}\n`).join('') });
  return sections;
}
