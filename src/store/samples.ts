import type { GpuEnergySample, GpuSample } from '../samplers/types.js';
import type { DB } from './db.js';

export interface ProcRow {
  rid: number;
  t: number;
  rssBytes: number;
  cpuPct: number;
  nProcs: number;
}

export interface HostRow {
  t: number;
  memUsedBytes: number | null;
  memTotalBytes: number | null;
  cpuEnergyJ: number | null;
}

/** GPU rows bound per INSERT (9 parameters each, well under SQLite's 32,766 limit). */
const GPU_ROWS_PER_STMT = 64;

/** Rows per page when streaming samples out for integration. */
const PAGE_ROWS = 20_000;

const round = (v: number | null, k = 1): number | null => (v === null ? null : Math.round(v * k));

function fillGpu(args: (number | null)[], at: number, [dev, s]: readonly [number, GpuSample]): void {
  args[at] = dev;
  args[at + 1] = s.t;
  args[at + 2] = round(s.powerW, 100);
  args[at + 3] = round(s.powerInstantW, 100);
  args[at + 4] = round(s.utilGpuPct);
  args[at + 5] = round(s.utilMemPct);
  args[at + 6] = round(s.memUsedMiB);
  args[at + 7] = round(s.tempC);
  args[at + 8] = round(s.smClockMHz);
}

/**
 * Sample storage with batched writes: rows queue in memory and go to SQLite in one transaction per flush, so at
 * most one flush interval of data is at risk and the sampling path never waits on the disk.
 */
export class SampleStore {
  private gpuQueue: GpuSample[] = [];
  private procQueue: ProcRow[] = [];
  private hostQueue: HostRow[] = [];
  private energyQueue: GpuEnergySample[] = [];
  private readonly devIds = new Map<string, number>();
  private readonly insGpu;
  private readonly insGpuMany;
  private readonly insProc;
  private readonly insHost;
  private readonly insEnergy;
  private readonly insDev;
  private readonly flushTx;
  rowsWritten = 0;
  /** GPU rows the store refused (a second sample of one device with the same timestamp). */
  rowsDropped = 0;
  /** Rows thrown away because the queue was full while writes failed or were held (disk full). */
  rowsLost = 0;
  /** While true, flush() writes nothing and rows wait in the queue (bounded by maxPending): the disk is full. */
  held = false;
  /** The most rows kept waiting; beyond it the oldest go (a gap in the data rather than unbounded memory). */
  maxPending = 100_000;
  /** Told of a failed flush; when it answers true (it held writes: disk full) the rows wait instead of an error. */
  onFlushError: ((err: unknown) => boolean) | null = null;

  constructor(private readonly db: DB) {
    const insert = (rows: number): string =>
      `INSERT OR IGNORE INTO gpu_samples (dev, t, power_cw, power_instant_cw, util_gpu, util_mem, mem_used_mib, temp_c, sm_mhz)
       VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
    this.insGpu = db.prepare(insert(1));
    this.insGpuMany = db.prepare(insert(GPU_ROWS_PER_STMT));
    this.insProc = db.prepare(
      'INSERT OR REPLACE INTO proc_samples (rid, t, rss_bytes, cpu_pct, n_procs) VALUES (?, ?, ?, ?, ?)',
    );
    this.insHost = db.prepare(
      'INSERT OR REPLACE INTO host_samples (t, mem_used_bytes, mem_total_bytes, cpu_energy_j) VALUES (?, ?, ?, ?)',
    );
    // A read below the device's previous one is a counter restart (driver reload), marked as it is stored.
    this.insEnergy = db.prepare(
      `INSERT OR IGNORE INTO gpu_energy (dev, t, energy_mj, reset) VALUES (@dev, @t, @mj,
         coalesce((SELECT @mj < energy_mj FROM gpu_energy WHERE dev = @dev AND t < @t ORDER BY t DESC LIMIT 1), 0))`,
    );
    this.insDev = db.prepare(
      'INSERT INTO devices (uuid, updated_at) VALUES (?, ?) ON CONFLICT (uuid) DO NOTHING',
    );
    this.flushTx = db.transaction((gpu: GpuSample[], proc: ProcRow[], host: HostRow[], energy: GpuEnergySample[]) => {
      // Many rows per statement: the per-call cost of the binding, not SQLite, bounds single-row inserts.
      const rows = gpu.map((s) => [this.deviceId(s.uuid), s] as const);
      const many: (number | null)[] = new Array<number | null>(9 * GPU_ROWS_PER_STMT).fill(null);
      const one: (number | null)[] = new Array<number | null>(9).fill(null);
      let k = 0;
      for (; k + GPU_ROWS_PER_STMT <= rows.length; k += GPU_ROWS_PER_STMT) {
        for (let j = 0; j < GPU_ROWS_PER_STMT; j++) fillGpu(many, 9 * j, rows[k + j]!);
        this.rowsDropped += GPU_ROWS_PER_STMT - this.insGpuMany.run(many).changes;
      }
      for (; k < rows.length; k++) {
        fillGpu(one, 0, rows[k]!);
        this.rowsDropped += 1 - this.insGpu.run(one).changes;
      }
      for (const p of proc) this.insProc.run(p.rid, p.t, Math.round(p.rssBytes), p.cpuPct, p.nProcs);
      for (const h of host) this.insHost.run(h.t, h.memUsedBytes, h.memTotalBytes, h.cpuEnergyJ);
      for (const e of energy) this.insEnergy.run({ dev: this.deviceId(e.uuid), t: e.t, mj: Math.round(e.energyMj) });
    });
  }

  /** The integer id of a device, created on first sight. */
  deviceId(uuid: string): number {
    let id = this.devIds.get(uuid);
    if (id === undefined) {
      this.insDev.run(uuid, Date.now());
      id = (this.db.prepare('SELECT id FROM devices WHERE uuid = ?').get(uuid) as { id: number }).id;
      this.devIds.set(uuid, id);
    }
    return id;
  }

  addGpu(samples: readonly GpuSample[]): void {
    for (const s of samples) this.gpuQueue.push(s);
  }
  addProc(row: ProcRow): void {
    this.procQueue.push(row);
  }
  addHost(row: HostRow): void {
    this.hostQueue.push(row);
  }
  addGpuEnergy(samples: readonly GpuEnergySample[]): void {
    for (const s of samples) this.energyQueue.push(s);
  }
  /** After a rolled-back transaction: queued rows and cached device ids may name rows that no longer exist. */
  reset(): void {
    this.gpuQueue = [];
    this.procQueue = [];
    this.hostQueue = [];
    this.energyQueue = [];
    this.devIds.clear();
  }

  get pending(): number {
    return this.gpuQueue.length + this.procQueue.length + this.hostQueue.length + this.energyQueue.length;
  }

  flush(): number {
    const n = this.pending;
    if (n === 0) return 0;
    if (this.held) {
      this.trim();
      return 0;
    }
    const [gpu, proc, host, energy] = [this.gpuQueue, this.procQueue, this.hostQueue, this.energyQueue];
    this.gpuQueue = [];
    this.procQueue = [];
    this.hostQueue = [];
    this.energyQueue = [];
    try {
      this.flushTx.immediate(gpu, proc, host, energy);
    } catch (err) {
      // Rolled back: the rows wait for the next flush (rows queued meanwhile are newer, so they go after).
      this.gpuQueue = gpu.concat(this.gpuQueue);
      this.procQueue = proc.concat(this.procQueue);
      this.hostQueue = host.concat(this.hostQueue);
      this.energyQueue = energy.concat(this.energyQueue);
      this.trim();
      if (this.onFlushError?.(err)) return 0;
      throw err;
    }
    this.rowsWritten += n;
    return n;
  }

  /** Keeps the queue within maxPending, dropping the oldest rows of the largest queue first. */
  private trim(): void {
    const over = this.pending - this.maxPending;
    if (over <= 0) return;
    const cut = <T>(q: T[], k: number): T[] => (k > 0 ? q.slice(Math.min(k, q.length)) : q);
    const gpuCut = Math.min(over, this.gpuQueue.length);
    this.gpuQueue = cut(this.gpuQueue, gpuCut);
    const rest = over - gpuCut;
    const procCut = Math.min(rest, this.procQueue.length);
    this.procQueue = cut(this.procQueue, procCut);
    const hostCut = Math.min(rest - procCut, this.hostQueue.length);
    this.hostQueue = cut(this.hostQueue, hostCut);
    this.energyQueue = cut(this.energyQueue, rest - procCut - hostCut);
    this.rowsLost += over;
  }

  /**
   * Feeds GPU power of one device in [from, to] to `sink` in time order, plus one sample either side so the span's
   * edges can be interpolated. Rows are read in pages of PAGE_ROWS, so memory stays flat whatever the span.
   */
  eachGpuPower(dev: number, from: number, to: number, sink: (t: number, w: number) => void): void {
    const before = this.db
      .prepare('SELECT t, power_cw FROM gpu_samples WHERE dev = ? AND t < ? ORDER BY t DESC LIMIT 1')
      .raw()
      .get(dev, from) as [number, number | null] | undefined;
    if (before) sink(before[0], before[1] === null ? Number.NaN : before[1] / 100);
    // Pages of rows by time (a page per statement run is much cheaper per row than iterate()), bounded memory.
    const page = this.db
      .prepare('SELECT t, power_cw FROM gpu_samples WHERE dev = ? AND t > ? AND t <= ? ORDER BY t LIMIT ?')
      .raw();
    let after = from - 1;
    for (;;) {
      const rows = page.all(dev, after, to, PAGE_ROWS) as [number, number | null][];
      for (const [t, cw] of rows) sink(t, cw === null ? Number.NaN : cw / 100);
      if (rows.length < PAGE_ROWS) break;
      after = (rows[rows.length - 1] as [number, number | null])[0];
    }
    const next = this.db
      .prepare('SELECT t, power_cw FROM gpu_samples WHERE dev = ? AND t > ? ORDER BY t LIMIT 1')
      .raw()
      .get(dev, to) as [number, number | null] | undefined;
    if (next) sink(next[0], next[1] === null ? Number.NaN : next[1] / 100);
  }

  /** How many GPU rows the store holds for a device, at any time. */
  gpuRowCount(dev: number): number {
    return this.db.prepare('SELECT count(*) FROM gpu_samples WHERE dev = ?').pluck().get(dev) as number;
  }

  /** RAM power of a run's process tree (W per GB of RSS) in [from, to], streamed like eachGpuPower. */
  eachRamPower(rid: number, from: number, to: number, wattsPerGB: number, sink: (t: number, w: number) => void): void {
    const stmt = this.db
      .prepare(
        `SELECT t, rss_bytes FROM (SELECT t, rss_bytes FROM proc_samples WHERE rid = ? AND t < ? ORDER BY t DESC LIMIT 1)
         UNION ALL SELECT t, rss_bytes FROM proc_samples WHERE rid = ? AND t >= ? AND t <= ?
         UNION ALL SELECT * FROM (SELECT t, rss_bytes FROM proc_samples WHERE rid = ? AND t > ? ORDER BY t LIMIT 1)`,
      )
      .raw();
    // psutil-style MB (2^20 bytes), as the study measured: 0.375 W/GB = 3.75e-4 W/MB.
    const k = wattsPerGB / 1000 / 1048576;
    for (const [t, rss] of stmt.iterate(rid, from, rid, from, to, rid, to) as IterableIterator<[number, number | null]>) {
      sink(t, rss === null ? Number.NaN : rss * k);
    }
  }

  /** Cumulative RAPL energy readings in [from, to] (null readings skipped). */
  cpuEnergy(from: number, to: number): { t: number; j: number }[] {
    return (
      this.db
        .prepare('SELECT t, cpu_energy_j FROM host_samples WHERE t >= ? AND t <= ? AND cpu_energy_j IS NOT NULL ORDER BY t')
        .raw()
        .all(from, to) as [number, number][]
    ).map(([t, j]) => ({ t, j }));
  }
}
