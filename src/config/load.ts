import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalid } from '../errors.js';
import { defaultHome, homeFiles, packageRoot } from '../platform/paths.js';
import { checkValue, type Config } from './schema.js';

/** Environment variables and the setting each one sets. */
export const ENV_VARS: Record<string, string> = {
  PROFILER_PORT: 'port',
  PROFILER_HOST: 'host',
  PROFILER_TOKEN: 'token',
  PROFILER_NVIDIA_SMI: 'nvidiaSmi',
  PROFILER_SAMPLE_MS: 'sampleMs',
  PROFILER_PROCESS_SAMPLE_MS: 'processSampleMs',
  PROFILER_PROC_ROOT: 'procRoot',
  PROFILER_POWERCAP_ROOT: 'powercapRoot',
};

function readJson(path: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!required && (code === 'ENOENT' || code === 'ENOTDIR')) return {};
    throw invalid(`cannot read config ${path}: ${(err as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw invalid(`config ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Applies one layer of settings onto target, validating every key (nested only for "stabilization"). */
function apply(target: Record<string, unknown>, layer: Record<string, unknown>, where: string): void {
  for (const [key, value] of Object.entries(layer)) {
    if (key.startsWith('_')) continue;
    if (key === 'stabilization') {
      if (typeof value !== 'object' || value === null) throw invalid(`${where}: "stabilization" must be an object`);
      const sub = target.stabilization as Record<string, unknown>;
      for (const [k, v] of Object.entries(value)) sub[k] = checkValue(`stabilization.${k}`, v, where);
      continue;
    }
    target[key] = checkValue(key, value, where);
  }
}

/** default.json → $PROFILER_HOME/config.json → PROFILER_* env → flags; validated once. */
export function loadConfig(opts: { env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): Config {
  const env = opts.env ?? process.env;
  const home = defaultHome(env);
  const base = readJson(join(packageRoot(), 'config', 'default.json'), true);
  const cfg: Record<string, unknown> = { ...base, stabilization: { ...(base.stabilization as object) } };
  apply(cfg, readJson(homeFiles(home).config, false), homeFiles(home).config);
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v !== undefined && v !== '') fromEnv[key] = v;
  }
  apply(cfg, fromEnv, 'environment');
  apply(cfg, opts.overrides ?? {}, 'command line');
  cfg.home = home;
  const config = cfg as unknown as Config;
  if (!isLoopback(config.host) && !config.token) {
    throw invalid(`refusing to listen on ${config.host} without PROFILER_TOKEN: set a token to serve beyond loopback`);
  }
  return config;
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}
