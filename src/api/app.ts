import { timingSafeEqual, createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import type SerializerSelector from '@fastify/fast-json-stringify-compiler';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { internal, ProfilerError } from '../errors.js';
import type { ApiDeps } from './deps.js';
import { analysisRoutes } from './routes/analysis.js';
import { liveRoutes } from './routes/live.js';
import { runRoutes } from './routes/runs.js';
import { isPublicPath, wantsDocsPage, webRoutes } from './routes/web.js';
import { SseHub, type HubOptions } from './sse-hub.js';
import { typeboxValidatorCompiler } from './validate.js';

export const BODY_LIMIT = 64 * 1024;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** fastify's validator factory type names Ajv's compile; it calls the result as it calls a route's validator compiler. */
const typeboxValidators = (() => typeboxValidatorCompiler) as unknown as BuildValidator;
type BuildValidator = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;

/** Set (the test suite sets it): every response is also written by fastify's own serializer and must agree. */
export const CHECK_RESPONSES_ENV = 'PROFILER_CHECK_RESPONSES';

/**
 * Responses are written with JSON.stringify. Every handler builds its body to its route's TypeBox schema (the type
 * provider checks the types), so fastify's default, fast-json-stringify compiled per route and status, had nothing
 * to drop or coerce: what it cost was loading it and the Ajv it brings at the first response, ~4 MB of the daemon's
 * peak RSS (bench: daemon). With PROFILER_CHECK_RESPONSES=1 each response is also serialized by fastify's own
 * compiler (loaded then, on first use) and must parse to the same value, or the request fails: a handler returning a
 * field its schema lacks, or a value its schema would coerce, fails the suite.
 */
export const jsonSerializers = (checked: boolean): SerializerSelector.SerializerFactory => (externalSchemas, options) => {
  let compile: SerializerSelector.SerializerCompiler | undefined;
  return (route) => {
    if (!checked) return (doc) => JSON.stringify(doc);
    let reference: SerializerSelector.Serializer | undefined;
    return (doc) => {
      const out = JSON.stringify(doc);
      compile ??= (createRequire(import.meta.url)('@fastify/fast-json-stringify-compiler') as typeof SerializerSelector)()(externalSchemas, options);
      reference ??= compile(route);
      const want = reference(doc);
      if (!isDeepStrictEqual(JSON.parse(out), JSON.parse(want))) {
        throw internal(`${route.method} ${route.url} ${route.httpStatus}: the response differs from its schema's serialization: ${out.slice(0, 300)} against ${want.slice(0, 300)}`);
      }
      return out;
    };
  };
};

export interface ApiOptions {
  deps: ApiDeps;
  hub: SseHub;
}

/** The whole HTTP API as one fastify plugin: every route with its TypeBox schemas. */
export const apiPlugin: FastifyPluginAsync<ApiOptions> = async (app, opts) => {
  await app.register(runRoutes, { deps: opts.deps });
  await app.register(analysisRoutes, { deps: opts.deps });
  await app.register(liveRoutes, opts);
  await app.register(webRoutes);
};

/** Bearer auth on every route but /healthz and the dashboard's pages and assets (no data); hashing both sides makes the comparison constant-time whatever the input. */
function bearerAuth(app: FastifyInstance, token: string): void {
  const want = digest(token);
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/healthz' || req.url.startsWith('/healthz?') || isPublicPath(req.url) || wantsDocsPage(req.url, req.headers.accept)) return;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1] as string), want)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: { code: 'PROF_ERR_UNAUTHORIZED', message: 'missing or wrong bearer token' } });
    }
  });
}

/** The HTTP API as one fastify app: errors as {"error": {code, message}}, bearer auth when a token is set, /docs. */
export function buildApp(deps: ApiDeps, opts: { logger: Logger; token: string | null; sse?: HubOptions }): FastifyInstance {
  // maxParamLength above the id schema's 200: a long id gets our error shape (path.id), not the router's bare 414.
  const app = Fastify({ loggerInstance: opts.logger as unknown as FastifyBaseLogger, bodyLimit: BODY_LIMIT,
    // fastify 5.12 reads it under routerOptions (the top-level option prints FSTDEP022 at every daemon start).
    routerOptions: { maxParamLength: 1000 },
    logController: new LogController({ disableRequestLogging: true }),
    // Our TypeBox validator given as the factory too, so fastify does not load Ajv for a default it would never use.
    schemaController: { compilersFactory: { buildValidator: typeboxValidators, buildSerializer: jsonSerializers(process.env[CHECK_RESPONSES_ENV] === '1') } } });
  app.setValidatorCompiler(typeboxValidatorCompiler);
  if (opts.token) bearerAuth(app, opts.token);
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ProfilerError) {
      return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
    }
    const e = err as { validation?: unknown; statusCode?: number; message: string; code?: string };
    if (e.validation) {
      return reply.code(400).send({ error: { code: 'PROF_ERR_INVALID', message: e.message } });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ error: { code: 'PROF_ERR_BAD_REQUEST', message: e.code?.startsWith('FST_ERR_CTP') ? `body: ${e.message}` : e.message } });
    }
    if (e.code === 'SQLITE_FULL' || e.code?.startsWith('SQLITE_IOERR')) {
      opts.logger.error({ err }, 'request failed: the database cannot be written');
      const why = e.code === 'SQLITE_FULL' ? 'the disk holding the profiler database is full' : `the profiler database cannot be written (${e.message})`;
      return reply.code(507).send({ error: { code: 'PROF_ERR_IO', message: why } });
    }
    opts.logger.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'PROF_ERR_INTERNAL', message: 'internal error; see the daemon log' } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'PROF_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url}` } });
  });
  const hub = new SseHub(deps, opts.sse);
  app.addHook('onClose', async () => hub.close());
  void app.register(swagger, {
    openapi: {
      info: { title: 'train-profiler daemon', version: '1', description: 'Runs, epochs, samples, projections, live events and metrics.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: opts.token ? [{ bearer: [] }] : [],
    },
  });
  void app.register(apiPlugin, { deps, hub });
  // The spec itself at /docs/json and, for tools, /docs (routes/web.ts: a browser's /docs is a page listing the routes;
  // a UI package would pull dependencies that require Node 22).
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
