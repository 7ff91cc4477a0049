import { KindGuard, Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { invalid } from '../errors.js';

// The one description of the settings: their type, their validation and the README table all come from here.
// `env` is our own keyword: the PROFILER_* variable that sets the setting, where one does.

interface Doc<T> {
  default: T;
  description: string;
  env?: string;
}

const Int = (minimum: number, maximum: number, doc: Doc<number>) => Type.Integer({ minimum, maximum, ...doc });
const Num = (minimum: number, maximum: number, doc: Doc<number>) => Type.Number({ minimum, maximum, ...doc });
const Str = (doc: Doc<string>) => Type.String({ minLength: 1, ...doc });

export const StabilizationSchema = Type.Object({
  gridMs: Int(0, 600_000, {
    default: 0, description: 'spacing of the series the detector analyses; 0: the run\'s own sampling interval (every sample, as recorded)',
  }),
  m: Int(3, 10_000, { default: 10, description: 'matrix-profile subsequence length, in grid points' }),
  L: Int(1, 10_000, { default: 10, description: 'FLUSS subsequence length L, in grid points' }),
  exclFactor: Int(1, 100, {
    default: 3, description: 'FLUSS exclusion factor (`excl_factor`): L × it grid points at the edges are blanked',
  }),
  nRegimes: Int(2, 10, { default: 2, description: 'regimes FLUSS splits the run into' }),
  fixedEpoch: Int(1, 100_000, {
    default: 10, description: 'the fixed stabilizing epoch, used when FLUSS is not confident by its end',
  }),
  windowEpochs: Int(1, 10_000, { default: 5, description: 'epochs after the stabilizing epoch the projection is made from (w)' }),
  maxPoints: Type.Optional(Int(100, 1_000_000, {
    default: 4000,
    description: 'longest power grid FLUSS analyses in one go (imports, evaluate, a set gridMs); longer grids are coarsened. Live runs are never coarsened',
  })),
}, { additionalProperties: false, description: 'the detector and estimators' });

export const SettingsSchema = Type.Object({
  port: Int(0, 65535, { default: 7460, env: 'PROFILER_PORT', description: 'daemon HTTP port' }),
  host: Str({ default: '127.0.0.1', env: 'PROFILER_HOST', description: 'bind address; beyond loopback only with a token' }),
  token: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
    default: null, env: 'PROFILER_TOKEN', description: 'bearer token the API requires when set',
  }),
  nvidiaSmi: Str({ default: 'nvidia-smi', env: 'PROFILER_NVIDIA_SMI', description: 'the nvidia-smi command' }),
  nvmlLibrary: Str({
    default: 'libnvidia-ml.so.1', env: 'PROFILER_NVML_LIBRARY',
    description: 'the NVML library (path or name) whose GPU energy counter gives GPU energy; none loadable: the power integral',
  }),
  sampleMs: Int(10, 60_000, { default: 200, env: 'PROFILER_SAMPLE_MS', description: 'GPU sampling interval' }),
  processSampleMs: Int(50, 60_000, {
    default: 1000, env: 'PROFILER_PROCESS_SAMPLE_MS', description: 'process tree / host sampling interval',
  }),
  procRoot: Str({ default: '/proc', env: 'PROFILER_PROC_ROOT', description: 'procfs root' }),
  powercapRoot: Str({ default: '/sys/class/powercap', env: 'PROFILER_POWERCAP_ROOT', description: 'RAPL root' }),
  computeAppsPollMs: Int(100, 600_000, {
    default: 2000, description: 'how often GPU attribution polls `--query-compute-apps`',
  }),
  inventoryTimeoutMs: Int(100, 600_000, { default: 10000, description: 'timeout of `nvidia-smi -q -x` at daemon start' }),
  watchdogIntervals: Int(2, 1000, { default: 5, description: 'silent intervals before the GPU stream is restarted' }),
  gapIntervals: Num(1, 1000, {
    default: 3, description: 'sample spacing (in intervals) above which integration does not bridge',
  }),
  samplerLingerMs: Int(0, 3_600_000, {
    default: 10000, description: 'the GPU stream keeps running this long after the last run',
  }),
  baselineMs: Int(0, 600_000, {
    default: 5000,
    description: 'the idle baseline: mean GPU power over this long before a run (`idleBaselineW` in the run JSON)',
  }),
  ramWattsPerGB: Num(0, 100, { default: 0.375, description: 'RAM power per GB of RSS, in W' }),
  startHorizonMs: Int(60_000, 31_622_400_000, {
    default: 86_400_000, description: 'how far in the past a run registered over HTTP may start (`startedAt`)',
  }),
  clockSkewMs: Int(0, 600_000, {
    default: 5000, description: 'how far in the future a time sent over HTTP may be (clocks of client and daemon differ)',
  }),
  daemonStartTimeoutMs: Int(100, 120_000, {
    default: 5000, description: 'how long `profiler run` waits for a daemon it starts',
  }),
  flushMs: Int(10, 5000, { default: 500, description: 'sample batch interval (data at risk on a crash)' }),
  orphanAfterMs: Int(1000, 3_600_000, {
    default: 15000,
    description: 'a run whose command is gone this long without being finished (its client died) is marked interrupted',
  }),
  budgetCheckMs: Int(100, 600_000, { default: 2000, description: 'how often the daemon checks running runs against their `--budget`' }),
  budgetGraceMs: Int(0, 3_600_000, {
    default: 10_000, description: 'with `--on-budget stop`: SIGKILL this long after the SIGTERM if the command is still running',
  }),
  stabilization: StabilizationSchema,
  carbonIntensityGPerKWh: Num(0, 5000, {
    default: 475, description: 'grid carbon intensity for emissions reports (g CO₂e/kWh)',
  }),
  pue: Num(1, 10, { default: 1, description: 'power usage effectiveness for emissions reports' }),
  countryIsoCode: Type.Union([Type.String({ minLength: 1, maxLength: 3 }), Type.Null()], {
    default: null, description: 'the CodeCarbon export\'s `country_iso_code` (ISO 3166-1 alpha-3: USA, FRA); null: left empty',
  }),
  region: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], {
    default: null, description: 'the CodeCarbon export\'s `region` (a state or province); null: left empty',
  }),
  metricsGraceS: Int(0, 604_800, {
    default: 600, env: 'PROFILER_METRICS_GRACE_S',
    description: 'how long a finished run (and its job) keeps its series in `/metrics` after it ended',
  }),
  nodeName: Type.Union([Type.String({ minLength: 1, maxLength: 253 }), Type.Null()], {
    default: null, env: 'PROFILER_NODE_NAME', description: 'this node\'s name in run JSON (`host`) and `/metrics` labels; null: the OS host name',
  }),
}, { additionalProperties: false });

/** The settings and `home`, which only PROFILER_HOME (or XDG_DATA_HOME) sets. */
export const ConfigSchema = Type.Object({
  home: Type.String({ minLength: 1, description: 'database, daemon lock and log, optional `config.json`' }),
  ...SettingsSchema.properties,
}, { additionalProperties: false });

export type Settings = Static<typeof SettingsSchema>;
export type Config = Static<typeof ConfigSchema>;
export type StabilizationConfig = Static<typeof StabilizationSchema>;

/** Every setting by its dotted name ("sampleMs", "stabilization.m"): the leaves of SettingsSchema, in its order. */
export const SETTINGS: Readonly<Record<string, TSchema>> = Object.fromEntries(
  Object.entries(SettingsSchema.properties).flatMap(([key, schema]): Array<[string, TSchema]> =>
    KindGuard.IsObject(schema)
      ? Object.entries(schema.properties).map(([sub, s]): [string, TSchema] => [`${key}.${sub}`, s])
      : [[key, schema]]),
);

/** The groups of settings a layer gives as a nested object ("stabilization"). */
export const GROUPS: ReadonlySet<string> = new Set(
  Object.entries(SettingsSchema.properties).filter(([, s]) => KindGuard.IsObject(s)).map(([key]) => key),
);

/** The env variable a setting's schema names, if any. */
export const envOf = (schema: TSchema): string | undefined => (typeof schema.env === 'string' ? schema.env : undefined);

/** Environment variables and the setting each one sets. */
export const ENV_VARS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SETTINGS).flatMap(([key, schema]) => {
    const env = envOf(schema);
    return env === undefined ? [] : [[env, key]];
  }),
);

/** What a value must be, in words, from its schema: "an integer between 10 and 60000". */
export function ruleOf(schema: TSchema): string {
  if (KindGuard.IsInteger(schema)) return `an integer between ${schema.minimum} and ${schema.maximum}`;
  if (KindGuard.IsNumber(schema)) return `a number between ${schema.minimum} and ${schema.maximum}`;
  if (KindGuard.IsString(schema)) return schema.minLength ? 'a non-empty string' : 'a string';
  if (KindGuard.IsNull(schema)) return 'null';
  if (KindGuard.IsUnion(schema)) return schema.anyOf.map(ruleOf).join(' or ');
  return 'valid';
}

/** Numbers may come as strings (env, flags, as JSON strings): those are read as numbers, nothing else is converted. */
function coerce(schema: TSchema, value: unknown): unknown {
  const numeric = KindGuard.IsInteger(schema) || KindGuard.IsNumber(schema);
  return numeric && typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
}

/** Checks one value of a setting against its schema; `where` names the layer it came from for the message. */
export function checkValue(key: string, value: unknown, where: string): unknown {
  const schema = SETTINGS[key];
  if (!schema) throw invalid(`${where}: unknown setting "${key}"`);
  const v = coerce(schema, value);
  if (!Value.Check(schema, v)) {
    throw invalid(`${where}: setting "${key}" must be ${ruleOf(schema)} (got ${JSON.stringify(value)})`);
  }
  return v;
}
