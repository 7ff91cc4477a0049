import type { GpuDevice } from '../samplers/types.js';
import { statementCache, type DB } from './db.js';

/** What an import learned about a GPU from its log's columns. */
export interface ImportedDevice {
  index: number | null;
  name: string | null;
  limit: number | null;
  maxLimit: number | null;
  memTotal: number | null;
}

/** Device rows: the inventory's view at daemon start, what the stream or an import adds. */
export class DeviceStore {
  private readonly q;
  constructor(db: DB) {
    this.q = statementCache(db);
  }

  /** The inventory is the authority: every field is replaced. */
  setInventory(id: number, d: GpuDevice, now: number): void {
    this.q(
      `UPDATE devices SET idx = ?, name = ?, power_limit_w = ?, max_power_limit_w = ?, mem_total_mib = ?,
       driver_version = ?, cuda_version = ?, mig_uuids = ?, updated_at = ? WHERE id = ?`,
    ).run(d.index, d.name, d.powerLimitW, d.maxPowerLimitW, d.memTotalMiB, d.driverVersion, d.cudaVersion,
      JSON.stringify(d.migUuids), now, id);
  }

  /** What the stream reports fills only what the inventory left empty. */
  noteStream(id: number, index: number | null, powerLimitW: number | null): void {
    this.q('UPDATE devices SET idx = coalesce(idx, ?), power_limit_w = coalesce(power_limit_w, ?) WHERE id = ?')
      .run(index, powerLimitW, id);
  }

  /** An import fills only what is unknown: a live daemon's inventory stays the authority. */
  noteImport(id: number, d: ImportedDevice): void {
    this.q(
      `UPDATE devices SET idx = coalesce(idx, ?), name = coalesce(name, ?), power_limit_w = coalesce(power_limit_w, ?),
       max_power_limit_w = coalesce(max_power_limit_w, ?), mem_total_mib = coalesce(mem_total_mib, ?) WHERE id = ?`,
    ).run(d.index, d.name, d.limit, d.maxLimit, d.memTotal, id);
  }
}
