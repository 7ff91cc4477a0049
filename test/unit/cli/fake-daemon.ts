import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../../src/config/schema.js';

export type Answer = { status: number; body: unknown } | 'not json' | 'hang';
export type Route = (method: string, path: string, body: unknown) => Answer;

/** A stand-in for the daemon's HTTP API on 127.0.0.1 that answers what `route` says and records each request. */
export class FakeDaemon {
  readonly seen: { method: string; path: string; body: unknown }[] = [];
  private server: Server | null = null;
  port = 0;
  constructor(public route: Route) {}

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Closes the port and every connection, so the next request is refused. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get cfg(): Config {
    return { host: '127.0.0.1', port: this.port, token: null } as Config;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text ? JSON.parse(text) : null;
    this.seen.push({ method: req.method ?? '', path: req.url ?? '', body });
    const a = this.route(req.method ?? '', req.url ?? '', body);
    if (a === 'hang') return;
    if (a === 'not json') res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    else res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
  }
}

/** A port nothing listens on (taken from the OS, then released). */
export async function closedPort(): Promise<number> {
  const d = await new FakeDaemon(() => ({ status: 200, body: {} })).start();
  const port = d.port;
  await d.stop();
  return port;
}

export const ok = (body: unknown = {}): Answer => ({ status: 200, body });
export const fail = (status: number, code: string, message: string): Answer => ({ status, body: { error: { code, message } } });
