import { Agent, request as httpRequest } from 'node:http';
import type { Config } from '../config/schema.js';
import { daemonUnreachable, isErrorCode, ProfilerError } from '../errors.js';
import { sseBlocks } from './sse.js';

// Keep-alive between the client's few requests; unref'd sockets never hold the process open.
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** The daemon answered with an error: its code when the catalogue knows it (PROF_ERR_HTTP otherwise) and its status. */
export class ApiError extends ProfilerError {
  constructor(status: number, code: string, message: string) {
    super(isErrorCode(code) ? code : 'PROF_ERR_HTTP', message, status);
    this.name = 'ApiError';
  }
}

/**
 * A small HTTP client for the daemon API. An error answer rejects with an ApiError; no answer (refused, reset, timed
 * out) with PROF_ERR_DAEMON_UNREACHABLE, the socket error as its cause.
 */
export class Client {
  readonly baseUrl: string;
  constructor(
    cfg: Pick<Config, 'host' | 'port' | 'token'>,
    private readonly timeoutMs = 10_000,
  ) {
    const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
    this.baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${cfg.port}`;
    this.token = cfg.token;
  }
  private readonly token: string | null;

  /**
   * One JSON request. node:http rather than fetch: fetch's first call loads undici (~15–25 ms), which `profiler run`
   * would pay before the command starts.
   */
  request<T>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const headers: Record<string, string> = {};
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return new Promise<T>((resolve, reject) => {
      const req = httpRequest(this.baseUrl + path, { method, headers, agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(this.unreachable(err)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = null;
          try {
            json = text ? (JSON.parse(text) as unknown) : null;
          } catch {
            reject(new ApiError(res.statusCode ?? 0, 'PROF_ERR_HTTP', `not JSON from ${path}: ${text.slice(0, 100)}`));
            return;
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
            reject(new ApiError(status, e?.code ?? 'PROF_ERR_HTTP', e?.message ?? `HTTP ${status}`));
          } else resolve(json as T);
        });
      });
      req.on('timeout', () => req.destroy(daemonUnreachable(`no answer from the daemon at ${this.baseUrl} in ${timeoutMs} ms`)));
      req.on('error', (err) => reject(this.unreachable(err)));
      req.end(payload);
    });
  }

  private unreachable(err: Error): ProfilerError {
    if (err instanceof ProfilerError) return err;
    return daemonUnreachable(`cannot reach the daemon at ${this.baseUrl}: ${err.message}`, { cause: err });
  }

  /**
   * Follows a Server-Sent Events stream (`GET path`), calling onEvent per event with its parsed JSON data; onEnd once
   * the stream ends or fails. The socket never holds the process open.
   */
  events(path: string, onEvent: (kind: string, data: unknown) => void, onEnd: () => void): { close(): void } {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let ended = false;
    const end = (): void => {
      if (!ended) (ended = true), onEnd();
    };
    const req = httpRequest(this.baseUrl + path, { method: 'GET', headers }, (res) => {
      if ((res.statusCode ?? 0) >= 400) {
        res.resume();
        end();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', sseBlocks((e) => onEvent(e.event, e.data)));
      res.on('end', end);
      res.on('error', end);
    });
    req.on('socket', (s) => s.unref());
    req.on('error', end);
    req.end();
    return { close: () => req.destroy() };
  }

  /** The daemon's health, or null when nothing answers. */
  async health(timeoutMs = 1000): Promise<Record<string, unknown> | null> {
    try {
      return await this.request<Record<string, unknown>>('GET', '/healthz', undefined, timeoutMs);
    } catch {
      return null;
    }
  }
}
