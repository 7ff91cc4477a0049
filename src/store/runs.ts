import { invalid, notFound } from '../errors.js';
import { statementCache, type DB } from './db.js';
import { newRunId } from './run-id.js';
import type { EnergyPrefix, RunAnalysis, RunBudget, RunEnergy } from './run-data.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'imported';

/** A run as stored, with its JSON columns decoded (only store/ knows they are JSON). */
export interface RunRow {
  rid: number;
  id: string;
  name: string | null;
  command: string[];
  cwd: string | null;
  status: RunStatus;
  exit_code: number | null;
  signal: string | null;
  started_at: number;
  ended_at: number | null;
  expected_epochs: number | null;
  client_pid: number | null;
  sample_ms: number;
  gpu_source: string;
  meta: Record<string, string>;
  /** Mean power of each GPU (by uuid) just before the run started. */
  baseline: Record<string, number>;
  energy: RunEnergy | null;
  analysis: RunAnalysis | null;
  energy_prefix: EnergyPrefix | null;
  /** The pid of the process still importing this run; such a run is hidden from every query until it is complete. */
  import_pid: number | null;
  /** The node's name when the run started (null for runs recorded before jobs existed). */
  host: string | null;
  job_id: string | null;
  job_source: JobSource | null;
  job_host: string | null;
  job_rank: number | null;
  job_step: string | null;
  budget: RunBudget | null;
}


export type JobSource = 'flag' | 'slurm' | 'torchelastic';

/** The job a run belongs to, as the client resolved it (`profiler run --job`, SLURM, torchelastic). */
export interface JobRef {
  id: string;
  source: JobSource;
  host: string | null;
  rank: number | null;
  step: string | null;
}

type RawRun = Omit<RunRow, 'command' | 'meta' | 'baseline' | 'energy' | 'analysis' | 'energy_prefix' | 'budget'> & {
  command: string; meta: string; baseline: string; energy: string | null; analysis: string | null; energy_prefix: string | null;
  budget: string | null;
};

/** A run row's identity and start, read without decoding the row. */
export type RunBrief = Pick<RunRow, 'rid' | 'id' | 'started_at'>;

const JSON_COLUMNS = new Set(['command', 'meta', 'baseline', 'energy', 'analysis', 'energy_prefix', 'budget']);

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

/** Decodes a runs row; the JSON columns were written by this module only. */
export function decodeRun(r: RawRun): RunRow {
  return {
    ...r,
    command: JSON.parse(r.command) as string[],
    meta: JSON.parse(r.meta) as Record<string, string>,
    baseline: JSON.parse(r.baseline) as Record<string, number>,
    energy: parse<RunEnergy>(r.energy),
    analysis: parse<RunAnalysis>(r.analysis),
    energy_prefix: parse<EnergyPrefix>(r.energy_prefix),
    budget: parse<RunBudget>(r.budget),
  };
}

const decodeOpt = (r: unknown): RunRow | undefined => (r === undefined ? undefined : decodeRun(r as RawRun));

export interface DeviceRow {
  id: number;
  uuid: string;
  idx: number | null;
  name: string | null;
  power_limit_w: number | null;
  max_power_limit_w: number | null;
  mem_total_mib: number | null;
  mig_uuids: string[];
  driver_version: string | null;
  cuda_version: string | null;
  shared?: number;
}

type RawDevice = Omit<DeviceRow, 'mig_uuids'> & { mig_uuids: string };

const decodeDevice = (d: RawDevice): DeviceRow => ({ ...d, mig_uuids: JSON.parse(d.mig_uuids) as string[] });

export { JOB_ID_RE, newRunId, RUN_ID_RE } from './run-id.js';

/** Devices that an unfinished import created: hidden with its run. */
const IMPORTING_DEVICES = 'SELECT dev FROM import_devices WHERE created = 1';

/** Hidden runs (an import still writing them) are left out of every query below but the importer's own lookups. */
const SHOWN = 'import_pid IS NULL';

export class RunStore {
  private readonly q;
  private ownImport = -1;
  constructor(private readonly db: DB) {
    this.q = statementCache(db);
  }

  /** Lets this store's byId see the hidden run its import is writing (energy and analysis need it), or no longer. */
  showImport(rid: number | null): void {
    this.ownImport = rid ?? -1;
  }

  create(r: {
    name: string | null;
    command: string[];
    cwd: string | null;
    startedAt: number;
    expectedEpochs: number | null;
    clientPid: number | null;
    sampleMs: number;
    meta: Record<string, string>;
    status?: RunStatus;
    /** Set by an import: the run stays hidden until the import reveals it. */
    importPid?: number | null;
    /** The idle baseline, stored with the row in one statement (a run is never half-created). */
    baseline?: Record<string, number>;
    host?: string | null;
    job?: JobRef | null;
    budget?: RunBudget | null;
  }, id = newRunId(r.startedAt)): RunRow {
    const j = r.job ?? null;
    const { lastInsertRowid } = this
      .q(
        `INSERT INTO runs (id, name, command, cwd, status, started_at, expected_epochs, client_pid, sample_ms, meta, import_pid, baseline,
           host, job_id, job_source, job_host, job_rank, job_step, budget)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, r.name, JSON.stringify(r.command), r.cwd, r.status ?? 'running', r.startedAt, r.expectedEpochs,
        r.clientPid, r.sampleMs, JSON.stringify(r.meta), r.importPid ?? null, JSON.stringify(r.baseline ?? {}),
        r.host ?? null, j?.id ?? null, j?.source ?? null, j?.host ?? null, j?.rank ?? null, j?.step ?? null,
        r.budget ? JSON.stringify(r.budget) : null);
    return decodeRun(this.q('SELECT * FROM runs WHERE rid = ?').get(lastInsertRowid) as RawRun);
  }

  byId(id: string): RunRow | undefined {
    return decodeOpt(this.q(`SELECT * FROM runs WHERE id = ? AND (${SHOWN} OR rid = ?)`).get(id, this.ownImport));
  }

  /** RUN as the CLI takes it: an id, a unique id prefix, or `last`. */
  resolve(ref: string): RunRow {
    if (ref === 'last') {
      // The most recently recorded run (CONTRACT.md): an import of an old log included, whatever its start time.
      const r = decodeOpt(this.q(`SELECT * FROM runs WHERE ${SHOWN} ORDER BY rid DESC LIMIT 1`).get());
      if (!r) throw notFound('no runs recorded yet');
      return r;
    }
    // Text that cannot be an id names no run: 404 like any unknown id (CONTRACT.md), not a 400.
    if (!/^[0-9a-z]{1,40}$/.test(ref)) throw notFound(`no run matches ${JSON.stringify(ref.slice(0, 60))}`);
    const exact = decodeOpt(this.q(`SELECT * FROM runs WHERE id = ? AND ${SHOWN}`).get(ref));
    if (exact) return exact;
    const rows = (this.q(`SELECT * FROM runs WHERE id LIKE ? || '%' AND ${SHOWN} LIMIT 2`).all(ref) as RawRun[]).map(decodeRun);
    if (rows.length === 0) throw notFound(`no run matches "${ref}"`);
    if (rows.length > 1) throw invalid(`"${ref}" matches several runs; give more of the id`);
    return rows[0] as RunRow;
  }

  list(opts: { limit?: number; status?: RunStatus; jobId?: string } = {}): RunRow[] {
    const conds = [SHOWN];
    const args: unknown[] = [];
    if (opts.status) conds.push('status = ?'), args.push(opts.status);
    if (opts.jobId !== undefined) conds.push('job_id = ?'), args.push(opts.jobId);
    return (this
      .q(`SELECT * FROM runs WHERE ${conds.join(' AND ')} ORDER BY started_at DESC, rid DESC LIMIT ?`)
      .all(...args, opts.limit ?? -1) as RawRun[]).map(decodeRun);
  }

  /**
   * Ids of the running runs, or only of those with a budget not yet exceeded: what the daemon's timers poll, without
   * decoding every row's JSON (a long run's analysis) each time.
   */
  runningIds(opts: { budgeted?: boolean } = {}): string[] {
    return this.runningBrief(opts).map((r) => r.id);
  }

  /** runningIds with what identifies each run's samples: its row id and start. */
  runningBrief(opts: { budgeted?: boolean } = {}): RunBrief[] {
    const budgeted = opts.budgeted ? " AND budget IS NOT NULL AND coalesce(json_extract(budget, '$.exceeded'), 0) = 0" : '';
    return this.q(`SELECT rid, id, started_at FROM runs WHERE status = 'running' AND ${SHOWN}${budgeted} ORDER BY started_at DESC, rid DESC`)
      .all() as RunBrief[];
  }

  /** Jobs with a running run or a run ended at or after `since`: the jobs /metrics shows. */
  activeJobs(since: number): string[] {
    return (this
      .q(`SELECT DISTINCT job_id FROM runs WHERE job_id IS NOT NULL AND ${SHOWN} AND (status = 'running' OR ended_at >= ?) ORDER BY job_id`)
      .all(since) as { job_id: string }[]).map((r) => r.job_id);
  }

  /** Ended runs whose end is at or after `since` and whose energy is sealed, newest first. */
  endedSince(since: number, limit: number): RunRow[] {
    return (this
      .q(`SELECT * FROM runs WHERE status != 'running' AND ended_at >= ? AND energy IS NOT NULL AND ${SHOWN} ORDER BY ended_at DESC LIMIT ?`)
      .all(since, limit) as RawRun[]).map(decodeRun);
  }

  update(rid: number, fields: Partial<Omit<RunRow, 'rid' | 'id'>>): void {
    const keys = Object.keys(fields);
    if (keys.length === 0) return;
    const sql = `UPDATE runs SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE rid = @rid`;
    const enc = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, JSON_COLUMNS.has(k) && v !== null ? JSON.stringify(v) : v]));
    this.q(sql).run({ ...enc, rid });
  }

  devices(rid: number): DeviceRow[] {
    return (this
      .q(
        `SELECT d.*, rd.shared FROM run_devices rd JOIN devices d ON d.id = rd.dev WHERE rd.rid = ? ORDER BY d.idx, d.uuid`,
      )
      .all(rid) as RawDevice[]).map(decodeDevice);
  }

  /**
   * Runs `fn` (several of these writes) in one transaction: all of it is stored, or none (a failed write). It takes
   * the write lock up front (BEGIN IMMEDIATE), waiting as the busy timeout allows: a deferred transaction that reads
   * first fails at once with SQLITE_BUSY when another connection (an import) commits before its first write.
   */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  setDevices(rid: number, devIds: number[], source: string): void {
    this.atomically(() => {
      this.q('DELETE FROM run_devices WHERE rid = ?').run(rid);
      const ins = this.q('INSERT OR IGNORE INTO run_devices (rid, dev) VALUES (?, ?)');
      for (const d of devIds) ins.run(rid, d);
      this.q('UPDATE runs SET gpu_source = ? WHERE rid = ?').run(source, rid);
    });
  }

  markShared(rid: number, dev: number): void {
    this.q('UPDATE run_devices SET shared = 1 WHERE rid = ? AND dev = ?').run(rid, dev);
  }

  /** Mean power of each GPU over [from, to): the idle baseline taken just before a run starts. */
  idleBaseline(from: number, to: number): Record<string, number> {
    const rows = this
      .q(
        `SELECT d.uuid AS uuid, avg(g.power_cw) / 100.0 AS w FROM gpu_samples g JOIN devices d ON d.id = g.dev
         WHERE g.t >= ? AND g.t < ? AND g.power_cw IS NOT NULL AND g.dev NOT IN (${IMPORTING_DEVICES}) GROUP BY d.uuid`,
      )
      .all(from, to) as { uuid: string; w: number }[];
    return Object.fromEntries(rows.map((r) => [r.uuid, r.w]));
  }

  /** Time of the run's last stored process-tree sample (one is stored only while the tree has a process), or null. */
  lastProcSample(rid: number): number | null {
    const r = this.q('SELECT max(t) AS t FROM proc_samples WHERE rid = ?').get(rid) as { t: number | null };
    return r.t;
  }

  allDevices(): DeviceRow[] {
    return (this.q(`SELECT * FROM devices WHERE id NOT IN (${IMPORTING_DEVICES}) ORDER BY idx, uuid`).all() as RawDevice[]).map(decodeDevice);
  }

  addEvent(rid: number | null, kind: string, data: object = {}, t = Date.now()): number {
    return Number(
      this.q('INSERT INTO events (rid, t, kind, data) VALUES (?, ?, ?, ?)').run(rid, t, kind, JSON.stringify(data))
        .lastInsertRowid,
    );
  }

  events(rid: number, kind?: string): { id: number; t: number; kind: string; data: Record<string, unknown> }[] {
    const rows = this
      .q(`SELECT id, t, kind, data FROM events WHERE rid = ? ${kind ? 'AND kind = ?' : ''} ORDER BY id`)
      .all(...(kind ? [rid, kind] : [rid])) as { id: number; t: number; kind: string; data: string }[];
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
  }
}
