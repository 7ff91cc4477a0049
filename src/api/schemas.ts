import { Type, type TSchema } from '@sinclair/typebox';
import { JOB_ID_RE, RUN_ID_RE } from '../store/runs.js';

// The request and response schemas of the HTTP API: validation, serialization and /docs all come from these.

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** Epoch milliseconds or an ISO-8601 string with offset. */
export const Time = Type.Union([Type.Integer({ minimum: 0, maximum: 8.64e15 }), Type.String({ minLength: 10, maxLength: 40 })], {
  description: 'Unix epoch milliseconds or an ISO-8601 string',
});
export const Int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String({ examples: ['PROF_ERR_INVALID'] }), message: Type.String() }),
});
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ErrorBody]));

export const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200, description: 'a run id, a unique id prefix, or `last`' }),
}, { additionalProperties: false });

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'interrupted', 'imported'] as const;
export const RunStatusT = Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)));

export const JobRefT = Type.Object({
  id: Type.String({ pattern: JOB_ID_RE.source }),
  source: Type.Union([Type.Literal('flag'), Type.Literal('slurm'), Type.Literal('torchelastic')]),
  host: Type.Optional(Nullable(Type.String({ maxLength: 253 }))),
  rank: Type.Optional(Nullable(Int(0, 10_000_000))),
  step: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
}, { additionalProperties: false });

export const ListRunsQuery = Type.Object({
  status: Type.Optional(RunStatusT),
  job: Type.Optional(Type.String({ pattern: JOB_ID_RE.source })),
  limit: Type.Optional(Int(1, 10000)),
}, { additionalProperties: false });

export const CreateRunBody = Type.Object({
  id: Type.Optional(Type.String({ pattern: RUN_ID_RE.source })),
  name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  command: Type.Array(Type.String({ maxLength: 8192 }), { minItems: 1, maxItems: 4096 }),
  cwd: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
  pid: Type.Optional(Nullable(Int(1, 4194304))),
  startedAt: Type.Optional(Time),
  expectedEpochs: Type.Optional(Nullable(Int(1, 10_000_000))),
  cudaVisibleDevices: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
  gpus: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
  meta: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Type.String({ maxLength: 1000 }), { maxProperties: 100 })),
  job: Type.Optional(Nullable(JobRefT)),
  budget: Type.Optional(Nullable(Type.Object({
    limitJ: Type.Number({ exclusiveMinimum: 0, maximum: 1e18 }),
    action: Type.Union([Type.Literal('warn'), Type.Literal('stop')]),
  }, { additionalProperties: false }))),
}, { additionalProperties: false });

export const AttachBody = Type.Object({ pid: Int(1, 4194304) }, { additionalProperties: false });

export const EpochMarkBody = Type.Object({
  event: Type.Union([Type.Literal('start'), Type.Literal('end')]),
  epoch: Type.Optional(Nullable(Int(0, 10_000_000))),
  at: Type.Optional(Time),
  total: Type.Optional(Nullable(Int(1, 10_000_000))),
  source: Type.Optional(Type.String({ maxLength: 40 })),
}, { additionalProperties: false });

export const FinishBody = Nullable(Type.Object({
  exitCode: Type.Optional(Nullable(Int(0, 255))),
  signal: Type.Optional(Nullable(Type.String({ pattern: '^SIG[A-Z0-9]+$', maxLength: 20 }))),
  endedAt: Type.Optional(Time),
  status: Type.Optional(Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('interrupted')])),
}, { additionalProperties: false }));

const NNum = Nullable(Type.Number());
const NStr = Nullable(Type.String());
const Open = { additionalProperties: true };

export const Projection = Nullable(Type.Object({
  powerBasedJ: Type.Optional(NNum),
  epochEnergyBasedJ: Type.Optional(NNum),
  windowEpochs: Type.Optional(Nullable(Type.Integer())),
  stableFromEpoch: Type.Optional(Nullable(Type.Integer())),
  provisional: Type.Optional(Type.Boolean()),
  bands: Type.Optional(Nullable(Type.Object({
    powerBasedJ: Nullable(Type.Tuple([Type.Number(), Type.Number()])),
    epochEnergyBasedJ: Nullable(Type.Tuple([Type.Number(), Type.Number()])),
  }, { description: '95 % band of each method, [low, high] in J' }))),
}, Open));

export const Stabilization = Nullable(Type.Object({
  method: Type.Optional(NStr),
  at: Type.Optional(Type.Union([Type.Number(), Type.String(), Type.Null()])),
  epoch: Type.Optional(Nullable(Type.Integer())),
  cacMin: Type.Optional(NNum),
  flussAt: Type.Optional(Type.Union([Type.Number(), Type.String(), Type.Null()])),
}, Open));

// CONTRACT.md: these routes answer the run JSON's `projection` / `stabilization` themselves (null until computed).
export const ProjectionReply = Projection;
export const StabilizationReply = Stabilization;

export const EpochJsonT = Type.Object({
  epoch: Type.Integer(), printed: Nullable(Type.Integer()), startedAt: Type.String(), endedAt: NStr,
  durationS: NNum, energyJ: NNum, gpuJ: NNum, ramJ: NNum, cpuJ: NNum, avgPowerW: NNum,
}, Open);

/** The run JSON of CONTRACT.md; open, so fields added later still pass through. */
export const RunJsonT = Type.Object({
  id: Type.String(),
  name: NStr,
  command: Type.Array(Type.String()),
  status: RunStatusT,
  exitCode: Nullable(Type.Integer()),
  startedAt: Type.String(),
  endedAt: NStr,
  durationS: Type.Number(),
  devices: Type.Array(Type.Object({ uuid: Type.String(), index: Nullable(Type.Integer()), name: NStr, powerLimitW: NNum }, Open)),
  energy: Type.Object({ totalJ: Type.Number(), gpuJ: Type.Number(), ramJ: Type.Number(), cpuJ: NNum,
    gpuMethod: Type.Union([Type.Literal('counter'), Type.Literal('integral')]), gpuCounterJ: NNum, gpuIntegralJ: Type.Number(), gpuNote: NStr }, Open),
  epochs: Type.Optional(Type.Array(EpochJsonT)),
  expectedEpochs: Nullable(Type.Integer()),
  stabilization: Stabilization,
  projection: Projection,
  baselines: Type.Object({}, Open),
  host: Type.Optional(NStr),
  job: Type.Optional(Nullable(Type.Object({ id: Type.String(), source: Type.String(), host: NStr, rank: Nullable(Type.Integer()),
    step: NStr }, Open))),
  budget: Type.Optional(Nullable(Type.Object({ limitJ: Type.Number(), action: Type.String(), exceeded: Type.Boolean(), at: NStr, reason: NStr }, Open))),
}, Open);

export const SamplesQuery = Type.Object({
  from: Type.Optional(Time),
  to: Type.Optional(Time),
  maxPoints: Type.Optional(Int(1, 10_000)),
}, { additionalProperties: false });

export const SamplesReply = Type.Object({
  id: Type.String(),
  from: Type.Integer({ description: 'epoch ms' }),
  to: Type.Integer({ description: 'epoch ms' }),
  bucketMs: Type.Integer(),
  devices: Type.Array(Type.Object({
    uuid: Type.String(),
    index: Nullable(Type.Integer()),
    points: Type.Array(Type.Object({
      t: Type.Integer({ description: 'bucket start, epoch ms' }),
      n: Type.Integer({ description: 'samples with a power reading in the bucket' }),
      meanW: NNum, minW: NNum, maxW: NNum,
    })),
  })),
});

export const EventsQuery = Type.Object({
  lastEventId: Type.Optional(Type.String({ pattern: '^[0-9]{1,20}$' })),
}, { additionalProperties: false });

export const ExportQuery = Type.Object({
  format: Type.String({ minLength: 1, maxLength: 20 }),
  perEpoch: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
