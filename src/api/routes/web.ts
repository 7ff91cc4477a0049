import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { packageRoot } from '../../platform/paths.js';

/** Pages and assets of the dashboard: they hold no data, so they answer without the token (all data is under /v1). */
const PUBLIC_PAGES = new Set(['/', '/compare', '/favicon.ico']);
const PUBLIC_PREFIXES = ['/ui/', '/vendor/', '/runs/'];

/** True for a dashboard page or asset (query string ignored), which the bearer hook lets through; an encoded or dotted path never is. */
export function isPublicPath(url: string): boolean {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.includes('%') || path.includes('..') || path.includes('//')) return false;
  return PUBLIC_PAGES.has(path) || PUBLIC_PREFIXES.some((p) => path.startsWith(p));
}

/** A browser asking for /docs gets the dashboard's page, which reads the spec with the token (the page holds no data). */
export const wantsDocsPage = (url: string, accept: string | undefined): boolean => url === '/docs' && (accept ?? '').includes('text/html');

/** Where the dashboard's files are: src/web of the installed package (shipped as is, no build step). */
export const webRoot = (): string => join(packageRoot(), 'src', 'web');

/** uPlot's dist folder, from the package's own dependency (no CDN). */
const uplotRoot = (): string => join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

/** The web dashboard: one page (index.html routes on the path) plus its scripts and uPlot. */
export const webRoutes: FastifyPluginAsync = async (app) => {
  const root = webRoot();
  await app.register(fastifyStatic, { root, prefix: '/ui/', index: false, cacheControl: false });
  await app.register(fastifyStatic, {
    root: uplotRoot(), prefix: '/vendor/', decorateReply: false, index: false,
    allowedPath: (p) => p === '/uPlot.iife.min.js' || p === '/uPlot.min.css',
  });
  const page = { schema: { hide: true } };
  const html = async (_req: unknown, reply: FastifyReply): Promise<FastifyReply> =>
    reply.type('text/html; charset=utf-8').sendFile('index.html', root);
  for (const url of ['/', '/compare', '/runs/:id']) app.get(url, page, html);
  app.get('/favicon.ico', page, async (_req, reply) => reply.code(204).send());
  // The OpenAPI spec for tools, the page listing it for a browser (the spec is also at /docs/json).
  app.get('/docs', page, async (req, reply) =>
    wantsDocsPage(req.url, req.headers.accept) ? html(req, reply) : app.swagger());
};
