import { parseArgs } from 'node:util';
import type { Config } from '../../config/schema.js';
import { usage } from '../../errors.js';
import { withRunSet } from '../../runs/open.js';
import { runJson, type RunJson } from '../../runs/report.js';
import { fmtDuration, fmtJ, fmtProjected, printable } from '../format.js';
import { argError, usageOf } from '../help.js';

export const COMPARE_HELP = `Usage: profiler compare RUN RUN… [--json]

Runs side by side: duration, energy (total, GPU, RAM), mean power, epochs, the stabilizing epoch, the projection
(epoch-energy method, with its 95 % band) and each epoch's energy. RUN is an id, a unique id prefix, or "last".

Options:
  --json        the comparison as JSON: {"runs": [{id, name, status, durationS, energy, meanPowerW, epochs,
                stableFromEpoch, projection, epochEnergyJ}]}
  -h, --help    this help

Example:
  profiler compare 0mfk2a1bc7f3 last`;

export interface CompareRow {
  id: string;
  name: string | null;
  status: RunJson['status'];
  durationS: number;
  energy: { totalJ: number; gpuJ: number; ramJ: number };
  meanPowerW: number | null;
  epochs: number;
  stableFromEpoch: number | null;
  projection: { epochEnergyBasedJ: number | null; band: [number, number] | null; provisional: boolean } | null;
  /** Energy of epoch 1, 2, … (null where an epoch has none yet). */
  epochEnergyJ: (number | null)[];
}

export function compareRow(r: RunJson): CompareRow {
  const p = r.projection;
  return {
    id: r.id, name: r.name, status: r.status, durationS: r.durationS,
    energy: { totalJ: r.energy.totalJ, gpuJ: r.energy.gpuJ, ramJ: r.energy.ramJ },
    meanPowerW: r.durationS > 0 ? r.energy.totalJ / r.durationS : null,
    epochs: r.epochs?.length ?? 0,
    stableFromEpoch: r.stabilization?.epoch ?? null,
    projection: p === null ? null : { epochEnergyBasedJ: p.epochEnergyBasedJ, band: p.bands?.epochEnergyBasedJ ?? null, provisional: p.provisional },
    epochEnergyJ: (r.epochs ?? []).map((e) => e.energyJ),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** The comparison as text: one column per run, then the per-epoch energies side by side. */
export function formatCompare(rows: CompareRow[]): string {
  const line = (label: string, f: (r: CompareRow) => string): string[] => [label, ...rows.map(f)];
  const head = [
    line('', (r) => r.id),
    line('name', (r) => r.name ?? '—'),
    line('status', (r) => r.status),
    line('duration', (r) => fmtDuration(r.durationS)),
    line('energy', (r) => fmtJ(r.energy.totalJ)),
    line('  GPU', (r) => fmtJ(r.energy.gpuJ)),
    line('  RAM', (r) => fmtJ(r.energy.ramJ)),
    line('mean power', (r) => (r.meanPowerW === null ? '—' : `${r.meanPowerW.toFixed(1)} W`)),
    line('epochs', (r) => String(r.epochs)),
    line('stable from', (r) => (r.stableFromEpoch === null ? '—' : `epoch ${r.stableFromEpoch}`)),
    line('projected', (r) => (r.projection === null ? '—'
      : `${fmtProjected(r.projection.epochEnergyBasedJ, r.projection.band)}${r.projection.provisional ? ' (provisional)' : ''}`)),
  ];
  const n = Math.max(0, ...rows.map((r) => r.epochEnergyJ.length));
  const epochs = [['EPOCH', ...rows.map((r) => r.id)]];
  for (let i = 0; i < n; i++) epochs.push([String(i + 1), ...rows.map((r) => (i < r.epochEnergyJ.length ? fmtJ(r.epochEnergyJ[i]) : ''))]);
  return printable(table(head) + (n > 0 ? `\n\nenergy per epoch\n${table(epochs)}` : '\nno epochs in any of these runs'));
}

/** `profiler compare RUN RUN… [--json]`. */
export async function compareCommand(cfg: Config, argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  } catch (err) {
    throw argError(err, COMPARE_HELP, 'compare');
  }
  const { values, positionals } = parsed;
  if (positionals.length < 2) throw usage(`profiler compare: give two runs or more\n${usageOf(COMPARE_HELP)}`);
  const rows = await withRunSet(cfg, (set) => positionals.map((ref) => compareRow(runJson(set, set.runs.resolve(ref), { epochs: true }))));
  process.stdout.write((values.json ? JSON.stringify({ runs: rows }, null, 2) : formatCompare(rows)) + '\n');
  return 0;
}
