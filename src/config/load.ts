import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalid } from '../errors.js';
import { defaultHome, homeFiles, packageRoot } from '../platform/paths.js';
import { ENV_VARS, type Config } from './schema.js';
import { assign, checkDefaults, checkLayer, toConfig } from './validate.js';

export { ENV_VARS } from './schema.js';

const errorCode = (err: unknown): unknown => (err instanceof Error && 'code' in err ? err.code : undefined);
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The parsed JSON of a config file; a missing optional one is empty. */
function readJson(path: string, required: boolean): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = errorCode(err);
    if (!required && (code === 'ENOENT' || code === 'ENOTDIR')) return {};
    throw invalid(`cannot read config ${path}: ${messageOf(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(`config ${path} is not valid JSON: ${messageOf(err)}`);
  }
}

/** The PROFILER_* variables that are set (an empty one counts as unset), by setting. */
function envLayer(env: NodeJS.ProcessEnv): Record<string, string> {
  const layer: Record<string, string> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v !== undefined && v !== '') layer[key] = v;
  }
  return layer;
}

/** default.json → $PROFILER_HOME/config.json → PROFILER_* env → flags; validated once. */
export function loadConfig(opts: { env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): Config {
  const env = opts.env ?? process.env;
  const home = defaultHome(env);
  const defaultsPath = join(packageRoot(), 'config', 'default.json');
  const homeConfig = homeFiles(home).config;
  const settings: Record<string, unknown> = { ...checkDefaults(readJson(defaultsPath, true), defaultsPath) };
  assign(settings, checkLayer(readJson(homeConfig, false), homeConfig));
  assign(settings, checkLayer(envLayer(env), 'environment'));
  assign(settings, checkLayer(opts.overrides ?? {}, 'command line'));
  const config = toConfig(settings, home, 'configuration');
  if (!isLoopback(config.host) && !config.token) {
    throw invalid(`refusing to listen on ${config.host} without PROFILER_TOKEN: set a token to serve beyond loopback`);
  }
  return config;
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}
