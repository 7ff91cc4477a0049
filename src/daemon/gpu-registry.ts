import type { Logger } from 'pino';
import type { GpuDevice } from '../samplers/types.js';
import type { Clock } from '../platform/clock.js';
import type { DeviceStore } from '../store/devices.js';
import type { SampleStore } from '../store/samples.js';

export type InventoryReader = () => Promise<{ devices: GpuDevice[]; warnings: string[] }>;

/** Device rows kept up to date from the inventory at start and from what the stream reports. */
export class GpuRegistry {
  readonly ready: Promise<void>;
  warnings: string[] = [];
  private readonly seenIndex = new Map<string, number>();
  /** Devices this daemon has seen (inventory or stream): older rows in the DB may be GPUs no longer here. */
  private readonly present = new Set<number>();

  constructor(
    private readonly devices: DeviceStore,
    private readonly samples: SampleStore,
    log: Logger,
    inventory: InventoryReader,
    private readonly clock: Clock,
    /** Runs a device row's write (the daemon's storage guard: a full disk gives back its reserve for it). */
    private readonly write: <T>(fn: () => T) => T = (fn) => fn(),
  ) {
    this.ready = inventory()
      .then((inv) => {
        this.warnings = inv.warnings;
        for (const w of inv.warnings) log.warn(w);
        for (const d of inv.devices) this.upsert(d);
        log.info({ devices: inv.devices.map((d) => `${d.index}:${d.name}`) }, 'gpu inventory');
      })
      .catch((err: unknown) => {
        this.warnings = [`gpu inventory failed: ${(err as Error).message}`];
        log.warn({ err }, 'gpu inventory failed');
      });
  }

  presentIds(): Set<number> {
    return this.present;
  }

  upsert(d: GpuDevice): number {
    const id = this.write(() => this.samples.deviceId(d.uuid));
    this.present.add(id);
    this.write(() => this.devices.setInventory(id, d, this.clock.now()));
    return id;
  }

  /** Records the index the stream reports for a uuid the inventory did not list. */
  noteIndex(uuid: string, index: number | null, powerLimitW: number | null): boolean {
    if (this.seenIndex.has(uuid) && (index === null || this.seenIndex.get(uuid) === index)) return false;
    const id = this.write(() => this.samples.deviceId(uuid));
    const isNew = !this.present.has(id);
    this.present.add(id);
    this.write(() => this.devices.noteStream(id, index, powerLimitW));
    // Only once written: a write that failed (a full disk) is tried again with the next batch, and the device still
    // counts as new then, so runs waiting for their GPUs get it.
    this.seenIndex.set(uuid, index ?? -1);
    return isNew;
  }
}
