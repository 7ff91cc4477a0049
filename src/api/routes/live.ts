import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalid } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import { renderMetrics } from '../metrics.js';
import { PROM_CONTENT_TYPE } from '../prometheus.js';
import { errors, EventsQuery, IdParams } from '../schemas.js';
import type { SseHub } from '../sse-hub.js';

export interface LiveOptions {
  deps: ApiDeps;
  hub: SseHub;
}

/** Last-Event-ID from the header (EventSource reconnects) or the query (curl); null when absent. */
function lastEventId(header: string | string[] | undefined, query: string | undefined): number | null {
  const v = query ?? (Array.isArray(header) ? header[0] : header);
  if (v === undefined || v === '') return null;
  if (!/^[0-9]{1,20}$/.test(v)) throw invalid('header.last-event-id: not an event id');
  return Number(v);
}

/** The live views: the run's event stream (SSE) and the Prometheus metrics. */
export const liveRoutes: FastifyPluginAsyncTypebox<LiveOptions> = async (app, { deps, hub }) => {
  app.get('/v1/runs/:id/events', {
    schema: {
      tags: ['live'],
      summary: 'Server-Sent Events of a run: sample (1/s per device), epoch, stabilization, projection, devices, status',
      params: IdParams,
      querystring: EventsQuery,
      produces: ['text/event-stream'],
      response: errors(400, 404),
    },
  }, async (req, reply) => {
    const run = deps.queries.resolve(req.params.id);
    const last = lastEventId(req.headers['last-event-id'], req.query.lastEventId);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const unsubscribe = hub.subscribe(run, res, last);
    res.on('close', unsubscribe);
  });

  app.get('/metrics', {
    schema: { tags: ['live'], summary: 'Prometheus metrics (text exposition format 0.0.4)', produces: [PROM_CONTENT_TYPE] },
  }, async (_req, reply) => reply.type(PROM_CONTENT_TYPE).send(renderMetrics(deps.queries.metrics(), hub)));
};
