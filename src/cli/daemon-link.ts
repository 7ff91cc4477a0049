import type { Config } from '../config/schema.js';
import { asProfilerError, daemonUnreachable, hasCode } from '../errors.js';
import type { BudgetJson, RunJson } from '../runs/report.js';
import type { Client } from './client.js';
import { saveOutcome } from '../runs/outcomes.js';
import { ensureDaemon } from './daemon-control.js';
import { describeError } from './format.js';

/** No answer at all (refused, reset, timed out): worth a retry once a daemon answers again; an error answer is not. */
export const isUnreachable = (err: unknown): boolean => hasCode(err, 'PROF_ERR_DAEMON_UNREACHABLE');

export type EnsureDaemon = (cfg: Config) => Promise<{ started: boolean; client: Client }>;

/**
 * The client's side of a run: registers it, posts epoch marks in order, restarts a daemon that died while the
 * command still runs (the new daemon resumes the run), and never lets any of that touch the command.
 */
export class DaemonLink {
  private client: Client | null = null;
  private readonly queue: { path: string; body: object }[] = [];
  private pumping: Promise<void> | null = null;
  private lastUnreachable: unknown = null;
  private registered = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private checking = false;
  /** The registration's answer was lost: the daemon may hold the run, so its outcome is worth saving. */
  private maybeRegistered = false;
  /** The last restart that failed, reported at the end when no later one succeeded. */
  private restartFailure: string | null = null;
  readonly problems: string[] = [];
  /** Where the command's outcome was saved for a later daemon to record (null: not needed, or not saved). */
  outcomeSaved: string | null = null;
  restarts = 0;
  private budgetStream: { close(): void } | null = null;
  private onBudget: ((budget: BudgetJson) => void) | null = null;
  private constructor(
    private readonly cfg: Config,
    private readonly runId: string,
    private readonly registration: object,
    private readonly ensure: EnsureDaemon,
  ) {}

  /** Starts the daemon if needed and registers the run; never throws (problems are kept for the summary). */
  static async open(cfg: Config, runId: string, registration: object, ensure: EnsureDaemon = ensureDaemon): Promise<DaemonLink> {
    const link = new DaemonLink(cfg, runId, registration, ensure);
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
      const { client } = await this.ensure(this.cfg);
      this.client = client;
      await this.register(client);
      this.registered = true;
      this.heartbeat = setInterval(() => void this.checkAlive(), 2000);
      this.heartbeat.unref();
      this.followBudget();
      void this.pump();
    } catch (err) {
      this.problems.push(`could not register the run with the daemon: ${describeError(err)}`);
    }
  }

  /**
   * Registers the run; when the answer is lost (the daemon died meanwhile) the run may exist: a daemon is started
   * again and the registration repeated, and "exists already" then means ours landed (the id is ours alone).
   */
  private async register(client: Client): Promise<void> {
    try {
      await client.request('POST', '/v1/runs', this.registration);
      return;
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      this.maybeRegistered = true;
    }
    await this.ensure(this.cfg);
    try {
      await client.request('POST', '/v1/runs', this.registration);
    } catch (err) {
      if (!hasCode(err, 'PROF_ERR_CONFLICT')) throw err;
    }
  }

  /**
   * A daemon that stopped answering while the command runs is started again; it resumes the run from its DB. A
   * restart that fails is tried again at the next beat (another client's daemon, or the disk, may come back).
   */
  private async checkAlive(): Promise<void> {
    if (!this.client || this.pumping || this.checking) return;
    this.checking = true;
    try {
      if (await this.client.health(1000)) return this.followBudget();
      await this.ensure(this.cfg);
      this.restarts++;
      this.problems.push('the daemon stopped during the run and was restarted: samples in between are missing (a gap)');
      this.restartFailure = null;
      void this.pump();
    } catch (err) {
      this.restartFailure = `the daemon stopped during the run and could not be restarted (yet): ${describeError(err)}`;
    } finally {
      this.checking = false;
    }
  }

  /** Calls back once when the daemon says the run exceeded its budget (followed over the run's event stream). */
  watchBudget(cb: (budget: BudgetJson) => void): void {
    this.onBudget = cb;
    this.followBudget();
  }

  private followBudget(): void {
    if (!this.onBudget || this.budgetStream || !this.registered || !this.client) return;
    const fire = (budget: BudgetJson | null | undefined): void => {
      if (!budget?.exceeded || !this.onBudget) return;
      const cb = this.onBudget;
      this.onBudget = null; // once
      cb(budget);
    };
    this.budgetStream = this.client.events(`/v1/runs/${this.runId}/events`, (kind, data) => {
      if (kind === 'budget') fire((data as { budget?: BudgetJson } | null)?.budget);
    }, () => (this.budgetStream = null)); // dropped (a daemon restart): the next heartbeat follows it again
    // An event sent while no stream was open (before it connected, or during a restart) is in the run JSON.
    this.client.request<RunJson>('GET', `/v1/runs/${this.runId}`).then((r) => fire(r.budget), () => {});
  }

  mark(body: object): void {
    this.queue.push({ path: `/v1/runs/${this.runId}/epochs`, body });
    void this.pump();
  }

  /** Sends the queued posts in order; a call while a pass runs waits for that pass instead of starting another. */
  private pump(): Promise<void> {
    if (!this.registered || !this.client) return Promise.resolve();
    this.pumping ??= this.drain(this.client).finally(() => (this.pumping = null));
    return this.pumping;
  }

  private async drain(client: Client): Promise<void> {
    while (this.queue.length > 0) {
      const next = this.queue[0] as { path: string; body: object };
      try {
        await client.request('POST', next.path, next.body);
        this.queue.shift();
        this.lastUnreachable = null;
      } catch (err) {
        if (isUnreachable(err)) {
          this.lastUnreachable = err; // kept; retried after the heartbeat restarts the daemon
          return;
        }
        this.queue.shift();
        this.problems.push(`an epoch mark was refused: ${describeError(err)}`);
      }
    }
  }

  /** Sends what is left and finishes the run; resolves to the run JSON, or null with the reason in `problems`. */
  async finish(body: { exitCode: number | null; signal: string | null; endedAt: number; status?: 'failed' }): Promise<RunJson | null> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.onBudget = null;
    this.budgetStream?.close();
    if (!this.registered || !this.client) {
      if (this.maybeRegistered) this.saveOutcome(body);
      return null;
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      await this.pump();
      try {
        if (this.queue.length > 0) throw this.lastUnreachable ?? daemonUnreachable('the daemon did not take the epoch marks');
        const run = await this.client.request<RunJson>('POST', `/v1/runs/${this.runId}/finish`, body, 30_000);
        await this.noteStorage(this.client);
        return run;
      } catch (err) {
        if (!isUnreachable(err)) {
          this.problems.push(`finishing the run failed: ${describeError(err)}`);
          // A daemon that failed to write (disk full, a bug) may take it later; a refusal (409, 404) stands.
          if (asProfilerError(err).status >= 500) this.saveOutcome(body);
          return null;
        }
        if (attempt === 0 && (await this.restarted())) continue;
        this.problems.push(`the daemon could not be reached at the end: ${describeError(err)}`);
        this.saveOutcome(body);
        break;
      }
    }
    if (this.restartFailure) this.problems.push(this.restartFailure);
    if (this.queue.length > 0) this.problems.push(`${this.queue.length} epoch mark(s) were not recorded`);
    return null;
  }

  /** The exit code must not be lost: the next daemon (or this one, a few seconds later) records it from this file. */
  private saveOutcome(body: { exitCode: number | null; signal: string | null; endedAt: number; status?: 'failed' }): void {
    const saved = body.status === undefined ? saveOutcome(this.cfg.home, { runId: this.runId, ...body }) : null;
    const when = this.registered ? 'when it is back' : 'if the run reached it before it died';
    if (!saved) return;
    this.outcomeSaved = saved;
    this.problems.push(`the command's outcome is saved in ${saved}; the daemon records it ${when}`);
  }

  /** A daemon writing on a full disk holds samples back: the run's figures are then provisional, say so. */
  private async noteStorage(client: Client): Promise<void> {
    const storage = (await client.health(1000))?.storage as { state?: string; message?: string } | undefined;
    if (storage?.state !== undefined && storage.state !== 'ok') {
      this.problems.push(`${storage.message ?? 'the disk refuses writes'}; this run's energy is recomputed once they are written (see "profiler show ${this.runId}" then)`);
    }
  }

  /** Starts a daemon again for a last try at the end; false when that failed too (the reason is reported by the caller). */
  private async restarted(): Promise<boolean> {
    try {
      await this.ensure(this.cfg);
      return true;
    } catch (err) {
      this.restartFailure = `the daemon could not be restarted: ${describeError(err)}`;
      return false;
    }
  }
}
