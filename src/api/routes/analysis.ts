import { Readable } from 'node:stream';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalid } from '../../errors.js';
import { EXPORT_FORMATS, isExportFormat } from '../../export/index.js';
import type { ApiDeps } from '../deps.js';
import { errors, ExportQuery, IdParams, ProjectionReply, SamplesQuery, SamplesReply, StabilizationReply } from '../schemas.js';
import { toMs } from './runs.js';

/** Read-side views of one run: the cached analysis (one row read), downsampled power, exports. */
export const analysisRoutes: FastifyPluginAsyncTypebox<{ deps: ApiDeps }> = async (app, { deps }) => {
  const { queries: q, clock } = deps;
  app.get('/v1/runs/:id/projection', {
    schema: { tags: ['analysis'], summary: 'The run JSON\'s projection, live while the run goes on', params: IdParams,
      response: { 200: ProjectionReply, ...errors(400, 404) } },
  }, async (req) => q.analysisOf(q.resolve(req.params.id)).projection);

  app.get('/v1/runs/:id/stabilization', {
    schema: { tags: ['analysis'], summary: 'The run JSON\'s stabilization', params: IdParams,
      response: { 200: StabilizationReply, ...errors(400, 404) } },
  }, async (req) => q.analysisOf(q.resolve(req.params.id)).stabilization);

  app.get('/v1/runs/:id/samples', {
    schema: { tags: ['analysis'], summary: 'GPU power per device, downsampled to at most maxPoints buckets (min/mean/max)',
      params: IdParams, querystring: SamplesQuery, response: { 200: SamplesReply, ...errors(400, 404) } },
  }, async (req) => {
    const run = q.resolve(req.params.id);
    const from = Math.floor(toMs(req.query.from, 'query.from', run.started_at));
    const to = Math.floor(toMs(req.query.to, 'query.to', run.ended_at ?? clock.now()));
    if (to < from) throw invalid('query.to: before query.from');
    return q.samples(run, from, to, req.query.maxPoints ?? 1000);
  });

  app.get('/v1/runs/:id/export', {
    schema: { tags: ['runs'], summary: `Export a run (format: ${EXPORT_FORMATS.join(', ')}; nvsmi only when it is one file)`,
      params: IdParams, querystring: ExportQuery, response: { 200: Type.Unknown({ description: 'the exported file' }), ...errors(400, 404) } },
  }, async (req, reply) => {
    const run = q.resolve(req.params.id);
    const format = req.query.format;
    if (!isExportFormat(format)) throw invalid(`query.format: one of ${EXPORT_FORMATS.join(', ')}`);
    const { part, chunks } = q.exportRun(run, format, { perEpoch: req.query.perEpoch ?? false });
    return reply
      .type(part.contentType)
      .header('content-disposition', `attachment; filename="${part.name}"`)
      .send(Readable.from(chunks, { objectMode: false }));
  });
};
