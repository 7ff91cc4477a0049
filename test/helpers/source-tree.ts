import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this (compiled) file with package.json and a src/ of .ts files. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'index.ts'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Every .ts file under a folder of the repository, as paths relative to the root ("src/api/app.ts"). */
export function tsFiles(folder: string): string[] {
  const root = repoRoot();
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => {
      const p = join(d, n);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [relative(root, p)] : [];
    });
  return walk(join(root, folder)).sort();
}

export interface ImportEdge {
  from: string;
  to: string;
  /** `import type` / `export type`: erased at compile time. */
  typeOnly: boolean;
  line: number;
}

const IMPORT_RE = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The import edges of a source file: relative ones resolved to repository paths, packages as their bare name. */
export function importsOf(file: string): ImportEdge[] {
  const root = repoRoot();
  const text = readFileSync(join(root, file), 'utf8');
  const out: ImportEdge[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = (m[3] ?? m[4]) as string;
    const line = text.slice(0, m.index).split('\n').length;
    const typeOnly = m[2] !== undefined;
    if (!spec.startsWith('.')) {
      out.push({ from: file, to: spec, typeOnly, line });
      continue;
    }
    const abs = resolve(root, dirname(file), spec).replace(/\.js$/, '.ts');
    out.push({ from: file, to: relative(root, abs), typeOnly, line });
  }
  return out;
}

/** The layer of a source path: its folder under src/ ("api"), or the file itself for top-level files ("errors.ts"). */
export function layerOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'src' ? (parts[1] as string) : path;
}
