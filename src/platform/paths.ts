import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { internal } from '../errors.js';

/** The package root (holding config/ and migrations/), found by walking up from this compiled file. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    dir = dirname(dir);
    if (existsSync(join(dir, 'migrations')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  throw internal('train-profiler: cannot find the package root (migrations/ missing): reinstall the package');
}

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROFILER_HOME) return resolve(env.PROFILER_HOME);
  const xdg = env.XDG_DATA_HOME;
  return xdg ? join(xdg, 'train-profiler') : join(homedir(), '.local', 'share', 'train-profiler');
}

export const homeFiles = (home: string) => ({
  db: join(home, 'profiler.db'),
  lock: join(home, 'daemon.lock'),
  kernelLock: join(home, 'daemon.lock.db'),
  /** Outcomes a client could not deliver (no daemon answered at the end), applied by the next daemon. */
  outcomes: join(home, 'outcomes'),
  log: join(home, 'daemon.log'),
  config: join(home, 'config.json'),
  /** The last validated configuration and what it was made of (src/config/cache.ts). */
  configCache: join(home, 'config-cache.json'),
});
