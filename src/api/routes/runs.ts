import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Daemon } from '../../daemon/create-daemon.js';
import { invalid } from '../../errors.js';
import { epochJson } from '../../report/run-json.js';
import type { RunStatus } from '../../store/runs.js';
import {
  AttachBody, CreateRunBody, EpochJsonT, EpochMarkBody, ErrorBody, errors, FinishBody, IdParams, ListRunsQuery, RunJsonT,
} from '../schemas.js';

/** Epoch ms from a number or an ISO-8601 string; `field` names the input in the error. */
export function toMs(v: unknown, field: string, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  // Query strings carry epoch ms as digits.
  const ms = typeof v === 'number' ? v : /^[0-9]{1,16}$/.test(String(v)) ? Number(v) : Date.parse(String(v));
  if (!Number.isFinite(ms)) throw invalid(`${field}: not a valid time (epoch ms or ISO-8601): ${JSON.stringify(v)}`);
  return ms;
}

export const runRoutes: FastifyPluginAsync<{ daemon: Daemon }> = async (app, { daemon }) => {
  const d = daemon;
  app.get('/healthz', { schema: { tags: ['daemon'], summary: 'Liveness and sampler health (no token needed)' } }, async () => d.health());
  app.get('/v1/devices', { schema: { tags: ['daemon'], summary: 'GPUs the daemon knows' } }, async () => ({ devices: d.devices(), warnings: d.registry.warnings }));

  app.get('/v1/runs', {
    schema: { tags: ['runs'], summary: 'Runs, newest first', querystring: ListRunsQuery, response: { 200: Type.Array(RunJsonT), 400: ErrorBody } },
  }, async (req) => {
    const q = req.query as { status?: RunStatus; limit?: number };
    return d.runs.list({ status: q.status, limit: q.limit ?? 100 }).map((r) => d.report(r, { epochs: false }));
  });

  app.post('/v1/runs', {
    schema: { tags: ['runs'], summary: 'Register a run', body: CreateRunBody, response: { 201: RunJsonT, ...errors(400, 409) } },
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

  app.get('/v1/runs/:id', { schema: { tags: ['runs'], summary: 'One run with its epochs', params: IdParams, response: { 200: RunJsonT, ...errors(400, 404) } } }, async (req) => {
    return d.report(d.runs.resolve((req.params as { id: string }).id), { epochs: true });
  });

  app.post('/v1/runs/:id/attach', {
    schema: { tags: ['runs'], summary: 'The run\'s command started with this pid', params: IdParams, body: AttachBody, response: { 200: Type.Object({ ok: Type.Boolean() }), ...errors(400, 404, 409) } },
  }, async (req) => {
    const run = d.runs.resolve((req.params as { id: string }).id);
    d.recorder.attach(run, (req.body as { pid: number }).pid);
    return { ok: true };
  });

  app.get('/v1/runs/:id/epochs', { schema: { tags: ['epochs'], summary: 'The run\'s epochs', params: IdParams, response: { 200: Type.Array(EpochJsonT), ...errors(400, 404) } } }, async (req) => {
    const run = d.runs.resolve((req.params as { id: string }).id);
    return d.epochs.list(run.rid).map(epochJson);
  });

  app.post('/v1/runs/:id/epochs', {
    schema: { tags: ['epochs'], summary: 'Mark an epoch start or end', params: IdParams, body: EpochMarkBody, response: { 201: Type.Object({ epoch: Type.Integer() }), ...errors(400, 404, 409) } },
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
    schema: { tags: ['runs'], summary: 'The run ended', params: IdParams, body: FinishBody, response: { 200: RunJsonT, ...errors(400, 404, 409) } },
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
