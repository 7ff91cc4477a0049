import type { Config } from '../config/schema.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A small HTTP client for the daemon API. Network failures reject with the fetch error. */
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

  async request<T>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : null;
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(res.status, e?.code ?? 'PROF_ERR_HTTP', e?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
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
