import { statementCache, type DB } from './db.js';

export interface EpochRow {
  rid: number;
  epoch: number;
  printed: number | null;
  source: string | null;
  started_at: number;
  ended_at: number | null;
  energy_j: number | null;
  gpu_j: number | null;
  ram_j: number | null;
  cpu_j: number | null;
  avg_power_w: number | null;
}

export interface EpochAggregate {
  energyJ: number;
  gpuJ: number;
  ramJ: number;
  cpuJ: number | null;
  avgPowerW: number | null;
}

export class EpochStore {
  private readonly q;
  constructor(db: DB) {
    this.q = statementCache(db);
  }

  list(rid: number): EpochRow[] {
    return this.q('SELECT * FROM epochs WHERE rid = ? ORDER BY epoch').all(rid) as EpochRow[];
  }

  last(rid: number): EpochRow | undefined {
    return this.q('SELECT * FROM epochs WHERE rid = ? ORDER BY epoch DESC LIMIT 1').get(rid) as
      | EpochRow
      | undefined;
  }

  open(rid: number, startedAt: number, printed: number | null, source: string | null): EpochRow {
    const next = ((this.last(rid)?.epoch ?? 0) as number) + 1;
    this
      .q('INSERT INTO epochs (rid, epoch, printed, source, started_at) VALUES (?, ?, ?, ?, ?)')
      .run(rid, next, printed, source, startedAt);
    return this.get(rid, next) as EpochRow;
  }

  get(rid: number, epoch: number): EpochRow | undefined {
    return this.q('SELECT * FROM epochs WHERE rid = ? AND epoch = ?').get(rid, epoch) as EpochRow | undefined;
  }

  close(rid: number, epoch: number, endedAt: number): void {
    this.q('UPDATE epochs SET ended_at = ? WHERE rid = ? AND epoch = ? AND ended_at IS NULL').run(endedAt, rid, epoch);
  }

  /** Moves a closed epoch's end (a guessed end replaced by the reported one). */
  setEnd(rid: number, epoch: number, endedAt: number): void {
    this.q('UPDATE epochs SET ended_at = ? WHERE rid = ? AND epoch = ?').run(endedAt, rid, epoch);
  }

  setAggregate(rid: number, epoch: number, a: EpochAggregate): void {
    this
      .q('UPDATE epochs SET energy_j = ?, gpu_j = ?, ram_j = ?, cpu_j = ?, avg_power_w = ? WHERE rid = ? AND epoch = ?')
      .run(a.energyJ, a.gpuJ, a.ramJ, a.cpuJ, a.avgPowerW, rid, epoch);
  }
}
