import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { Daemon } from '../../daemon/create-daemon.js';
import { invalid } from '../../errors.js';
import { EXPORT_FORMATS, exportRun, isExportFormat } from '../../export/index.js';
import { bucketWidth, downsampleGpuPower } from '../../store/sample-queries.js';
import {
  errors, ExportQuery, IdParams, ProjectionReply, SamplesQuery, SamplesReply, StabilizationReply,
} from '../schemas.js';
import { toMs } from './runs.js';

type IdReq = { params: { id: string } };

/** Read-side views of one run: the cached analysis (one row read), downsampled power, exports. */
export const analysisRoutes: FastifyPluginAsync<{ daemon: Daemon }> = async (app, { daemon: d }) => {
  app.get('/v1/runs/:id/projection', {
    schema: { tags: ['analysis'], summary: 'The run JSON\'s projection, live while the run goes on', params: IdParams,
      response: { 200: ProjectionReply, ...errors(400, 404) } },
  }, async (req) => {
    const run = d.runs.resolve((req as IdReq).params.id);
    return d.analysisOf(run).projection;
  });

  app.get('/v1/runs/:id/stabilization', {
    schema: { tags: ['analysis'], summary: 'The run JSON\'s stabilization', params: IdParams,
      response: { 200: StabilizationReply, ...errors(400, 404) } },
  }, async (req) => {
    const run = d.runs.resolve((req as IdReq).params.id);
    return d.analysisOf(run).stabilization;
  });

  app.get('/v1/runs/:id/samples', {
    schema: { tags: ['analysis'], summary: 'GPU power per device, downsampled to at most maxPoints buckets (min/mean/max)',
      params: IdParams, querystring: SamplesQuery, response: { 200: SamplesReply, ...errors(400, 404) } },
  }, async (req) => {
    const run = d.runs.resolve((req as IdReq).params.id);
    const q = req.query as { from?: number | string; to?: number | string; maxPoints?: number };
    const from = Math.floor(toMs(q.from, 'query.from', run.started_at));
    const to = Math.floor(toMs(q.to, 'query.to', run.ended_at ?? d.now()));
    if (to < from) throw invalid('query.to: before query.from');
    const bucketMs = bucketWidth(from, to, q.maxPoints ?? 1000);
    d.samples.flush();
    const devices = d.runs.devices(run.rid).map((dev) => ({
      uuid: dev.uuid, index: dev.idx, points: downsampleGpuPower(d.db, dev.id, from, to, bucketMs),
    }));
    return { id: run.id, from, to, bucketMs, devices };
  });

  app.get('/v1/runs/:id/export', {
    schema: { tags: ['runs'], summary: `Export a run (format: ${EXPORT_FORMATS.join(', ')}; nvsmi only when it is one file)`,
      params: IdParams, querystring: ExportQuery, response: errors(400, 404) },
  }, async (req, reply) => {
    const run = d.runs.resolve((req as IdReq).params.id);
    const q = req.query as { format: string; perEpoch?: boolean };
    if (!isExportFormat(q.format)) throw invalid(`query.format: one of ${EXPORT_FORMATS.join(', ')}`);
    d.samples.flush();
    const { part, chunks } = exportRun({ db: d.db, runs: d.runs, epochs: d.epochs, energy: d.energy, now: d.now, cfg: d.config },
      run, q.format, { perEpoch: q.perEpoch ?? false });
    return reply
      .type(part.contentType)
      .header('content-disposition', `attachment; filename="${part.name}"`)
      .send(Readable.from(chunks, { objectMode: false }));
  });
};
