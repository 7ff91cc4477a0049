import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalid } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import {
  AttachBody, CreateRunBody, EpochJsonT, EpochMarkBody, ErrorBody, errors, FinishBody, IdParams, ListRunsQuery, RunJsonT,
} from '../schemas.js';

/** Epoch ms from a number or an ISO-8601 string; `field` names the input in the error. */
export function toMs(v: number | string | undefined | null, field: string, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  // Query strings carry epoch ms as digits.
  const ms = typeof v === 'number' ? v : /^[0-9]{1,16}$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw invalid(`${field}: not a valid time (epoch ms or ISO-8601): ${JSON.stringify(v)}`);
  return ms;
}

/** No GPU log predates this: a time before it is a mistake (epoch 0, year 0000), never a run. */
const EARLIEST = Date.UTC(2000, 0, 1);

/** A time within [lo, hi], else a 400 naming the field and the bound: spans stay bounded whatever a body says. */
function within(ms: number, field: string, lo: number, hi: number, why: string): number {
  if (ms < Math.max(lo, EARLIEST) || ms > hi) {
    const iso = (x: number): string => new Date(x).toISOString();
    throw invalid(`${field}: ${Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? iso(ms) : String(ms)} is out of range: ${why} ` +
      `(${iso(Math.max(lo, EARLIEST))} … ${iso(hi)})`);
  }
  return ms;
}

/** Runs and epochs: register, mark, finish, read. */
export const runRoutes: FastifyPluginAsyncTypebox<{ deps: ApiDeps }> = async (app, { deps }) => {
  const { queries: q, commands: c, clock, limits } = deps;
  app.get('/healthz', { schema: { tags: ['daemon'], summary: 'Liveness and sampler health (no token needed)' } }, async () => q.health());
  app.get('/v1/devices', { schema: { tags: ['daemon'], summary: 'GPUs the daemon knows' } }, async () => q.devices());

  app.get('/v1/runs', {
    schema: { tags: ['runs'], summary: 'Runs, newest first', querystring: ListRunsQuery, response: { 200: Type.Array(RunJsonT), 400: ErrorBody } },
  }, async (req) => q.list({ status: req.query.status, jobId: req.query.job, limit: req.query.limit ?? 100 })
    .map((r) => q.report(r, { epochs: false })));

  app.post('/v1/runs', {
    schema: { tags: ['runs'], summary: 'Register a run', body: CreateRunBody, response: { 201: RunJsonT, ...errors(400, 409) } },
  }, async (req, reply) => {
    const b = req.body;
    if (b.startedAt === undefined) await c.warmUp(2000);
    const now = clock.now();
    const startedAt = within(toMs(b.startedAt, 'startedAt', now), 'startedAt', now - limits.startHorizonMs, now + limits.clockSkewMs,
      'a run may start at most startHorizonMs before now and not in the future');
    const run = c.start({
      id: b.id, name: b.name ?? null, command: b.command, cwd: b.cwd ?? null, pid: b.pid ?? null, startedAt,
      expectedEpochs: b.expectedEpochs ?? null, cudaVisibleDevices: b.cudaVisibleDevices ?? null, gpus: b.gpus ?? null,
      meta: b.meta ?? {},
      job: b.job ? { id: b.job.id, source: b.job.source, host: b.job.host ?? null, rank: b.job.rank ?? null, step: b.job.step ?? null } : null,
      budget: b.budget ?? null,
    });
    return reply.code(201).send(q.report(run, { epochs: true }));
  });

  app.get('/v1/runs/:id', {
    schema: { tags: ['runs'], summary: 'One run with its epochs', params: IdParams, response: { 200: RunJsonT, ...errors(400, 404) } },
  }, async (req) => q.report(q.resolve(req.params.id), { epochs: true }));

  app.post('/v1/runs/:id/attach', {
    schema: { tags: ['runs'], summary: 'The run\'s command started with this pid', params: IdParams, body: AttachBody,
      response: { 200: Type.Object({ ok: Type.Boolean() }), ...errors(400, 404, 409) } },
  }, async (req) => {
    c.attach(q.resolve(req.params.id), req.body.pid);
    return { ok: true };
  });

  app.get('/v1/runs/:id/epochs', {
    schema: { tags: ['epochs'], summary: 'The run\'s epochs', params: IdParams, response: { 200: Type.Array(EpochJsonT), ...errors(400, 404) } },
  }, async (req) => q.epochs(q.resolve(req.params.id)));

  app.post('/v1/runs/:id/epochs', {
    schema: { tags: ['epochs'], summary: 'Mark an epoch start or end', params: IdParams, body: EpochMarkBody,
      response: { 201: Type.Object({ epoch: Type.Integer() }), ...errors(400, 404, 409) } },
  }, async (req, reply) => {
    const run = q.resolve(req.params.id);
    const b = req.body;
    const r = c.mark(run, { event: b.event, epoch: b.epoch ?? null, at: toMs(b.at, 'at', clock.now()), total: b.total ?? null,
      source: b.source ?? 'http' });
    return reply.code(201).send(r);
  });

  app.post('/v1/runs/:id/finish', {
    schema: { tags: ['runs'], summary: 'The run ended', params: IdParams, body: FinishBody, response: { 200: RunJsonT, ...errors(400, 404, 409) } },
  }, async (req) => {
    const run = q.resolve(req.params.id);
    const b = req.body ?? {};
    const done = await c.finish(run, { exitCode: b.exitCode ?? null, signal: b.signal ?? null,
      endedAt: within(toMs(b.endedAt, 'endedAt', clock.now()), 'endedAt', EARLIEST, clock.now() + limits.clockSkewMs,
        'a run does not end in the future'), status: b.status });
    return q.report(done, { epochs: true });
  });
};
