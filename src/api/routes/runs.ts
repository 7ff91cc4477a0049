import type { FastifyPluginAsync } from 'fastify';
import type { Daemon } from '../../daemon/create-daemon.js';
import { invalid } from '../../errors.js';
import { epochJson } from '../../report/run-json.js';
import { RUN_ID_RE, type RunStatus } from '../../store/runs.js';

const time = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', minLength: 10, maxLength: 40 }] };
// type arrays, not anyOf: with fastify's type coercion, anyOf [string, null] would turn null into "".
const nullableString = (max: number) => ({ type: ['string', 'null'], maxLength: max });
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 40 } } } as const;

/** Epoch ms from a number or an ISO-8601 string; `field` names the input in the error. */
export function toMs(v: unknown, field: string, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  const ms = typeof v === 'number' ? v : Date.parse(String(v));
  if (!Number.isFinite(ms)) throw invalid(`${field}: not a valid time (epoch ms or ISO-8601): ${JSON.stringify(v)}`);
  return ms;
}

export const runRoutes: FastifyPluginAsync<{ daemon: Daemon }> = async (app, { daemon }) => {
  const d = daemon;
  app.get('/healthz', async () => d.health());
  app.get('/v1/devices', async () => ({ devices: d.devices(), warnings: d.registry.warnings }));

  app.get('/v1/runs', {
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: ['running', 'succeeded', 'failed', 'interrupted', 'imported'] },
          limit: { type: 'integer', minimum: 1, maximum: 10000 },
        },
      },
    },
  }, async (req) => {
    const q = req.query as { status?: RunStatus; limit?: number };
    return d.runs.list({ status: q.status, limit: q.limit ?? 100 }).map((r) => d.report(r, { epochs: false }));
  });

  app.post('/v1/runs', {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['command'],
        properties: {
          id: { type: 'string', pattern: RUN_ID_RE.source },
          name: nullableString(200),
          command: { type: 'array', minItems: 1, maxItems: 4096, items: { type: 'string', maxLength: 8192 } },
          cwd: nullableString(4096),
          pid: { type: ['integer', 'null'], minimum: 1, maximum: 4194304 },
          startedAt: time,
          expectedEpochs: { type: ['integer', 'null'], minimum: 1, maximum: 10_000_000 },
          cudaVisibleDevices: nullableString(4096),
          gpus: nullableString(4096),
          meta: { type: 'object', maxProperties: 100, additionalProperties: { type: 'string', maxLength: 1000 } },
        },
      },
    },
  }, async (req, reply) => {
    const b = req.body as Record<string, unknown>;
    if (b.startedAt === undefined) await d.sampling.warmUp(2000);
    const now = d.now();
    const startedAt = toMs(b.startedAt, 'startedAt', now);
    if (startedAt > now + 5000) throw invalid('startedAt: in the future');
    const run = d.recorder.start({
      id: b.id as string | undefined,
      name: (b.name as string | null | undefined) ?? null,
      command: b.command as string[],
      cwd: (b.cwd as string | null | undefined) ?? null,
      pid: (b.pid as number | null | undefined) ?? null,
      startedAt,
      expectedEpochs: (b.expectedEpochs as number | null | undefined) ?? null,
      cudaVisibleDevices: (b.cudaVisibleDevices as string | null | undefined) ?? null,
      gpus: (b.gpus as string | null | undefined) ?? null,
      meta: (b.meta as Record<string, string> | undefined) ?? {},
    });
    return reply.code(201).send(d.report(run, { epochs: true }));
  });

  app.get('/v1/runs/:id', { schema: { params: idParams } }, async (req) => {
    return d.report(d.runs.resolve((req.params as { id: string }).id), { epochs: true });
  });

  app.post('/v1/runs/:id/attach', {
    schema: {
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['pid'],
        properties: { pid: { type: 'integer', minimum: 1, maximum: 4194304 } },
      },
    },
  }, async (req) => {
    const run = d.runs.resolve((req.params as { id: string }).id);
    d.recorder.attach(run, (req.body as { pid: number }).pid);
    return { ok: true };
  });

  app.get('/v1/runs/:id/epochs', { schema: { params: idParams } }, async (req) => {
    const run = d.runs.resolve((req.params as { id: string }).id);
    return d.epochs.list(run.rid).map(epochJson);
  });

  app.post('/v1/runs/:id/epochs', {
    schema: {
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['event'],
        properties: {
          event: { type: 'string', enum: ['start', 'end'] },
          epoch: { type: ['integer', 'null'], minimum: 0, maximum: 10_000_000 },
          at: time,
          total: { type: ['integer', 'null'], minimum: 1, maximum: 10_000_000 },
          source: { type: 'string', maxLength: 40 },
        },
      },
    },
  }, async (req, reply) => {
    const run = d.runs.resolve((req.params as { id: string }).id);
    const b = req.body as Record<string, unknown>;
    const r = d.recorder.mark(run, {
      event: b.event as 'start' | 'end',
      epoch: (b.epoch as number | null | undefined) ?? null,
      at: toMs(b.at, 'at', d.now()),
      total: (b.total as number | null | undefined) ?? null,
      source: (b.source as string | undefined) ?? 'http',
    });
    return reply.code(201).send(r);
  });

  app.post('/v1/runs/:id/finish', {
    schema: {
      params: idParams,
      body: {
        anyOf: [
          {
            type: 'object',
            additionalProperties: false,
            properties: {
              exitCode: { type: ['integer', 'null'], minimum: 0, maximum: 255 },
              signal: { type: ['string', 'null'], pattern: '^SIG[A-Z0-9]+$', maxLength: 20 },
              endedAt: time,
              status: { type: 'string', enum: ['succeeded', 'failed', 'interrupted'] },
            },
          },
          { type: 'null' },
        ],
      },
    },
  }, async (req) => {
    const run = d.runs.resolve((req.params as { id: string }).id);
    const b = (req.body ?? {}) as Record<string, unknown>;
    const done = await d.recorder.finish(run, {
      exitCode: (b.exitCode as number | null | undefined) ?? null,
      signal: (b.signal as string | null | undefined) ?? null,
      endedAt: toMs(b.endedAt, 'endedAt', d.now()),
      status: b.status as RunStatus | undefined,
    });
    return d.report(done, { epochs: true });
  });
};
