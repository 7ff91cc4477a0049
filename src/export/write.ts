import { once } from 'node:events';
import { createWriteStream, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { conflict, invalid, ioError } from '../errors.js';
import type { ExportPart } from './index.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where each part goes: `out` itself for one part, or inside `out` when it is a folder (existing, or written with a
 * trailing slash), or `out` as a file-name prefix for several parts. Every path stays inside the folder the user named.
 */
export function planPaths(parts: readonly ExportPart[], out: string): string[] {
  for (const p of parts) {
    if (!SAFE_NAME.test(p.name) || p.name.includes('..')) throw invalid(`refusing unsafe output name "${p.name}"`);
  }
  const folderMode = out.endsWith('/') || out.endsWith(sep) || isDir(out);
  if (folderMode) {
    const dir = resolve(out);
    return parts.map((p) => join(dir, p.name));
  }
  if (parts.length === 1) return [resolve(out)];
  const prefix = basename(out);
  const dir = resolve(dirname(out));
  const glue = /[-_.]$/.test(prefix) ? '' : '-';
  const paths = parts.map((p) => join(dir, `${prefix}${glue}${p.name}`));
  for (const p of paths) if (dirname(p) !== dir) throw invalid(`refusing output path outside ${dir}: ${p}`);
  return paths;
}

/** Creates the folders the paths go into (mkdir -p); one that cannot be made is PROF_ERR_IO saying why. */
function makeFolders(dirs: readonly string[]): void {
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOTDIR' || e.code === 'EEXIST' ? 'a file is in the way' : e.message;
      throw ioError(`cannot create the folder ${dir} for the export: ${why}`, { cause: err });
    }
  }
}

async function writeChunks(chunks: AsyncIterable<string | Uint8Array>, w: Writable): Promise<void> {
  for await (const c of chunks) {
    if (!w.write(c)) await once(w, 'drain');
  }
}

/** Writes parts to files (never over an existing file without force) or, for one text part, to `stdout`. */
export async function writeParts(parts: readonly ExportPart[], opts: { out: string | null; force: boolean }, stdout: Writable): Promise<string[]> {
  if (opts.out === null) {
    const only = parts[0];
    if (!only || parts.length !== 1) throw invalid(`this export writes ${parts.length} files (${parts.map((p) => p.name).join(', ')}): give --out DIR/ or --out PREFIX`);
    if (only.binary) throw invalid(`${only.name} is binary: give --out FILE`);
    await writeChunks(only.chunks(), stdout);
    return [];
  }
  const paths = planPaths(parts, opts.out);
  makeFolders(opts.out.endsWith('/') || opts.out.endsWith(sep) ? [resolve(opts.out)] : [...new Set(paths.map((p) => dirname(p)))]);
  if (!opts.force) {
    const existing = paths.filter((p) => {
      try {
        lstatSync(p);
        return true;
      } catch {
        return false;
      }
    });
    if (existing.length > 0) throw conflict(`${existing.join(', ')} exists already: use --force to overwrite`);
  }
  for (const [i, part] of parts.entries()) {
    const path = paths[i] as string;
    const ws = createWriteStream(path, { flags: opts.force ? 'w' : 'wx', mode: 0o644 });
    try {
      await once(ws, 'open');
      await writeChunks(part.chunks(), ws);
      ws.end();
      await once(ws, 'finish');
    } catch (err) {
      ws.destroy();
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`${path} exists already: use --force to overwrite`);
      try {
        unlinkSync(path);
      } catch {
        /* nothing was created */
      }
      throw err;
    }
  }
  return paths;
}
