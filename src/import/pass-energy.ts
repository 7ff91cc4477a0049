import { Integrator, type Integration } from '../analysis/energy.js';
import { checkEpochHeader, parseEpochLine } from './aux-csv.js';
import { readLineBatches } from './lines.js';

/**
 * The GPU energy of an import integrated while its rows are parsed, so the import does not read every row back from
 * SQLite afterwards (that second pass was ~16 % of an import). It must equal, bit for bit, what the run's energy
 * computed from the stored rows gives (`EnergyService.compute`), so it is only used when the stored rows of each
 * device are exactly the rows it integrated (no shared, foreign or earlier rows: the importer checks) and the cuts
 * are the ones it expected; otherwise the import integrates from the store as before.
 *
 * The cuts are the epoch ends (read ahead from the epochs file) between two open ends: the run's start (its first
 * sample) and end are only known after the pass, and nothing lies outside them, so the integrator runs from −∞ to
 * +∞ and its head and tail gaps are clipped to the run at the end. The bridging limit depends on the sampling
 * interval measured from the first diffs: rows wait (a bounded few thousand) until it is known.
 */
export class PassEnergy {
  private readonly devices = new Map<string, { it: Integrator | null; lastT: number; rows: number }>();
  private waiting: { uuid: string; t: number; w: number }[] = [];
  private maxGapMs: number | null = null;
  private readonly cuts: number[];

  constructor(private readonly ends: readonly number[]) {
    this.cuts = [-Infinity, ...ends, Infinity];
  }

  /** Whether the bridging limit is known (rows are integrated as they come). */
  get started(): boolean {
    return this.maxGapMs !== null;
  }

  /** One parsed row, in file order; a repeated timestamp is skipped as the store skips it (the first row stays). */
  push(uuid: string, t: number, powerW: number | null): void {
    // As stored (centiwatts, NULL for no reading) and read back.
    const cw = powerW === null ? null : Math.round(powerW * 100);
    const w = cw === null || Number.isNaN(cw) ? Number.NaN : cw / 100;
    if (this.maxGapMs === null) this.waiting.push({ uuid, t, w });
    else this.feed(uuid, t, w);
  }

  /** The bridging limit is known: the rows waiting for it are integrated. */
  start(maxGapMs: number): void {
    this.maxGapMs = maxGapMs;
    for (const r of this.waiting) this.feed(r.uuid, r.t, r.w);
    this.waiting = [];
  }

  private feed(uuid: string, t: number, w: number): void {
    let d = this.devices.get(uuid);
    if (!d) this.devices.set(uuid, (d = { it: new Integrator(this.cuts, this.maxGapMs as number), lastT: Number.NaN, rows: 0 }));
    if (t === d.lastT) return;
    d.lastT = t;
    d.rows++;
    d.it?.push(t, w);
  }

  /** Distinct rows integrated for a device (what the store must hold for it, no more). */
  rows(uuid: string): number {
    return this.devices.get(uuid)?.rows ?? 0;
  }

  /**
   * Each device's integration over `cuts` (the run's: its start, the epoch ends, its end), or null when they are
   * not the cuts this pass was made for. Call once, after the pass.
   */
  integrations(cuts: readonly number[], startedAt: number, endedAt: number): Map<string, Integration> | null {
    const mapped = [startedAt, ...this.ends, endedAt];
    const expected = [...new Set(mapped)].sort((a, b) => a - b);
    if (expected.length !== cuts.length || expected.some((v, i) => v !== cuts[i])) return null;
    if (this.ends.some((e) => e < startedAt || e > endedAt)) return null;
    const out = new Map<string, Integration>();
    for (const [uuid, d] of this.devices) {
      const r = (d.it as Integrator).finish();
      const parts = new Array<number>(cuts.length - 1).fill(0);
      const coveredMs = new Array<number>(cuts.length - 1).fill(0);
      let j = 0;
      for (let i = 0; i + 1 < mapped.length; i++) {
        const a = mapped[i] as number;
        const b = mapped[i + 1] as number;
        if (!(b > a)) continue; // a zero-length stretch (equal ends): nothing was added to it
        while ((cuts[j] as number) < a) j++;
        parts[j] = (parts[j] as number) + (r.parts[i] as number);
        coveredMs[j] = (coveredMs[j] as number) + (r.coveredMs[i] as number);
      }
      const gaps = r.gaps
        .map((g) => ({ from: Math.max(g.from, startedAt), to: Math.min(g.to, endedAt) }))
        .filter((g) => g.to > g.from);
      out.set(uuid, { parts, coveredMs, gaps });
    }
    return out;
  }
}

/**
 * The epoch ends of an epochs file, read ahead for the cuts; null when it does not read cleanly (the import proper
 * then reports why, at the line where it fails). A cut-off last line is skipped as the import skips it.
 */
export async function readEpochEnds(file: string): Promise<number[] | null> {
  const ends: number[] = [];
  let header = false;
  try {
    for await (const batch of readLineBatches(file)) for (const line of batch) {
      if (!header) {
        if (checkEpochHeader(line.text)) return null;
        header = true;
        continue;
      }
      const r = parseEpochLine(line.text);
      if (typeof r === 'string') return line.last && ends.length > 0 ? ends : null;
      if (ends.length > 0 && r.end < (ends[ends.length - 1] as number)) return null;
      ends.push(r.end);
    }
  } catch {
    return null;
  }
  return header ? ends : null;
}
