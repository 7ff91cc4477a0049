import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ProfilerError } from '../errors.js';
import type { Daemon } from '../daemon/create-daemon.js';
import { runRoutes } from './routes/runs.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The HTTP API as one fastify app: errors as {"error": {code, message}}, bearer auth when a token is set. */
export function buildApp(daemon: Daemon, opts: { logger: Logger; token: string | null }): FastifyInstance {
  const app = Fastify({ loggerInstance: opts.logger as unknown as FastifyBaseLogger, bodyLimit: 64 * 1024, disableRequestLogging: true });
  if (opts.token) {
    const want = digest(opts.token);
    app.addHook('onRequest', async (req, reply) => {
      if (req.url === '/healthz') return;
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      // Hashing both sides gives equal lengths, so the comparison is constant-time whatever the input.
      if (!m || !timingSafeEqual(digest(m[1] as string), want)) {
        await reply.code(401).send({ error: { code: 'PROF_ERR_UNAUTHORIZED', message: 'missing or wrong bearer token' } });
      }
    });
  }
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ProfilerError) {
      return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
    }
    const e = err as { validation?: unknown; statusCode?: number; message: string; code?: string };
    if (e.validation) {
      return reply.code(400).send({ error: { code: 'PROF_ERR_INVALID', message: e.message } });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ error: { code: 'PROF_ERR_BAD_REQUEST', message: e.message } });
    }
    opts.logger.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'PROF_ERR_INTERNAL', message: 'internal error; see the daemon log' } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'PROF_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url}` } });
  });
  app.register(runRoutes, { daemon });
  return app;
}
