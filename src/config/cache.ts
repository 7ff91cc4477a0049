// The validated configuration, cached per PROFILER_HOME: the schema library (TypeBox) costs ~40 % of a CLI start, and
// `profiler run` must add as little as it can. A cached config is used only when every input is byte-identical.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultHome, homeFiles, packageRoot } from '../platform/paths.js';
import type { Config } from './schema.js';

const text = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** Everything a configuration is made of: both files, every PROFILER_* variable, and the schema build itself. */
function inputsKey(env: NodeJS.ProcessEnv, home: string): string {
  const schema = join(dirname(fileURLToPath(import.meta.url)), 'schema.js');
  let stamp = 'none';
  try {
    const st = statSync(schema);
    stamp = `${st.size}:${st.mtimeMs}`;
  } catch {
    // running from sources (tests): no compiled schema to stamp, the key still changes with every input below
  }
  const vars = Object.keys(env).filter((k) => k.startsWith('PROFILER_')).sort().map((k) => [k, env[k]]);
  const inputs = [stamp, text(join(packageRoot(), 'config', 'default.json')), text(homeFiles(home).config), vars];
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}

/** The cached configuration when its inputs are unchanged, else null (the caller validates and calls save). */
export function cachedConfig(env: NodeJS.ProcessEnv = process.env): { config: Config | null; save(config: Config): void } {
  const home = defaultHome(env);
  const file = homeFiles(home).configCache;
  const key = inputsKey(env, home);
  let config: Config | null = null;
  const raw = text(file);
  if (raw !== null) {
    try {
      const c = JSON.parse(raw) as { key?: unknown; config?: Config };
      if (c.key === key && c.config && typeof c.config === 'object') config = c.config;
    } catch {
      // a torn or foreign file: validate afresh and overwrite it
    }
  }
  return {
    config,
    save(valid: Config): void {
      if (!existsSync(home)) return; // never create a home just for this
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, JSON.stringify({ key, config: valid }), { mode: 0o600 }); // it may hold the token
        renameSync(tmp, file);
      } catch {
        // read-only home: no cache, the next start validates again
      }
    },
  };
}
