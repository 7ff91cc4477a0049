import type { Config } from '../config/schema.js';
import type { RunJson } from '../runs/report.js';
import { ApiError, type Client } from './client.js';
import { ensureDaemon } from './daemon-control.js';

const isNetworkError = (err: unknown): boolean => !(err instanceof ApiError);

/**
 * The client's side of a run: registers it, posts epoch marks in order, restarts a daemon that died while the
 * command still runs (the new daemon resumes the run), and never lets any of that touch the command.
 */
export class DaemonLink {
  private client: Client | null = null;
  private readonly queue: { path: string; body: object }[] = [];
  private pumping = false;
  private registered = false;
  private heartbeat: NodeJS.Timeout | null = null;
  readonly problems: string[] = [];
  restarts = 0;
  private constructor(
    private readonly cfg: Config,
    private readonly runId: string,
    private readonly registration: object,
  ) {}

  /** Starts the daemon if needed and registers the run; never throws (problems are kept for the summary). */
  static async open(cfg: Config, runId: string, registration: object): Promise<DaemonLink> {
    const link = new DaemonLink(cfg, runId, registration);
    await link.connect();
    return link;
  }

  /** The command started: its process tree belongs to the run. */
  attach(pid: number): void {
    this.queue.unshift({ path: `/v1/runs/${this.runId}/attach`, body: { pid } });
    void this.pump();
  }

  private async connect(): Promise<void> {
    try {
      const { client } = await ensureDaemon(this.cfg);
      this.client = client;
      await client.request('POST', '/v1/runs', this.registration);
      this.registered = true;
      this.heartbeat = setInterval(() => void this.checkAlive(), 2000);
      this.heartbeat.unref();
      void this.pump();
    } catch (err) {
      this.problems.push(`could not register the run with the daemon: ${(err as Error).message}`);
    }
  }

  /** A daemon that stopped answering while the command runs is started again; it resumes the run from its DB. */
  private async checkAlive(): Promise<void> {
    if (!this.client || this.pumping) return;
    if (await this.client.health(1000)) return;
    try {
      await ensureDaemon(this.cfg);
      this.restarts++;
      this.problems.push('the daemon stopped during the run and was restarted: samples in between are missing (a gap)');
      void this.pump();
    } catch (err) {
      this.problems.push(`the daemon stopped during the run and could not be restarted: ${(err as Error).message}`);
      if (this.heartbeat) clearInterval(this.heartbeat);
    }
  }

  mark(body: object): void {
    this.queue.push({ path: `/v1/runs/${this.runId}/epochs`, body });
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping || !this.registered || !this.client) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const next = this.queue[0] as { path: string; body: object };
        try {
          await this.client.request('POST', next.path, next.body);
          this.queue.shift();
        } catch (err) {
          if (isNetworkError(err)) return; // kept; retried after the heartbeat restarts the daemon
          this.queue.shift();
          this.problems.push(`an epoch mark was refused: ${(err as Error).message}`);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Sends what is left and finishes the run; resolves to the run JSON, or null with the reason in `problems`. */
  async finish(body: object): Promise<RunJson | null> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (!this.registered || !this.client) return null;
    for (let attempt = 0; attempt < 2; attempt++) {
      await this.pump();
      try {
        if (this.queue.length > 0) throw new Error('daemon unreachable');
        return await this.client.request<RunJson>('POST', `/v1/runs/${this.runId}/finish`, body, 30_000);
      } catch (err) {
        if (!isNetworkError(err) && !(err instanceof Error && err.message === 'daemon unreachable')) {
          this.problems.push(`finishing the run failed: ${(err as Error).message}`);
          return null;
        }
        if (attempt === 0) {
          try {
            await ensureDaemon(this.cfg);
            continue;
          } catch {
            /* reported below */
          }
        }
        this.problems.push(`the daemon could not be reached at the end: ${(err as Error).message}`);
      }
    }
    if (this.queue.length > 0) this.problems.push(`${this.queue.length} epoch mark(s) were not recorded`);
    return null;
  }
}
