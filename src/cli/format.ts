import { J_PER_KWH } from '../analysis/energy.js';
import { asProfilerError, type ErrorCode } from '../errors.js';
import type { RunJson } from '../runs/report.js';

export function fmtJ(j: number | null | undefined): string {
  if (j === null || j === undefined || !Number.isFinite(j)) return '—';
  const a = Math.abs(j);
  if (a >= 1e9) return `${(j / 1e9).toFixed(2)} GJ`;
  if (a >= 1e6) return `${(j / 1e6).toFixed(2)} MJ`;
  if (a >= 1e3) return `${(j / 1e3).toFixed(2)} kJ`;
  return `${j.toFixed(1)} J`;
}

export const fmtKWh = (j: number): string => `${(j / J_PER_KWH).toPrecision(3)} kWh`;

export function fmtDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(1)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

/**
 * A projection with its 95 % band: "1.23 MJ (95 %: 1.20 MJ – 1.26 MJ)"; the band only where one was computed and has
 * a width (none is left once no epoch remains to project: the figure is then measured, not projected).
 */
export function fmtProjected(j: number | null, band: [number, number] | null | undefined): string {
  if (band && band[1] > band[0]) return `${fmtJ(j)} (95 %: ${fmtJ(band[0])} – ${fmtJ(band[1])})`;
  return band ? `${fmtJ(j)} (no epoch left to project)` : fmtJ(j);
}

/**
 * The run JSON's projection, both methods with their bands: epoch-energy first, the better one (window-end MAPE
 * 1.38 % vs 2.84 % on the real traces; the study's P̄_w × t prices the warm-up at stable power: +19 % on the demo).
 */
export function fmtProjection(p: NonNullable<RunJson['projection']>): string {
  return `epoch-energy ${fmtProjected(p.epochEnergyBasedJ, p.bands?.epochEnergyBasedJ)}, ` +
    `power-based ${fmtProjected(p.powerBasedJ, p.bands?.powerBasedJ)}`;
}

/** The end-of-run summary printed on stderr. */
export function formatSummary(r: RunJson): string {
  const e = r.energy;
  const epochs = r.epochs?.length ?? 0;
  const meanW = r.durationS > 0 ? e.totalJ / r.durationS : 0;
  const lines = [
    `profiler: run ${r.id} ${r.status} in ${fmtDuration(r.durationS)} (exit ${r.signal ?? r.exitCode ?? '?'})`,
    `profiler: energy ${fmtJ(e.totalJ)} = ${fmtKWh(e.totalJ)}  (GPU ${fmtJ(e.gpuJ)} ${fmtKWh(e.gpuJ)}, RAM ${fmtJ(e.ramJ)} ${fmtKWh(e.ramJ)}` +
      `${e.cpuJ === null ? ', CPU not measured' : `, CPU ${fmtJ(e.cpuJ)} not in total`})`,
    `profiler: ${epochs} epoch(s)${r.expectedEpochs ? ` of ${r.expectedEpochs}` : ''}, mean power ${meanW.toFixed(1)} W, ` +
      `${r.devices.length} GPU(s)${r.gpuSource === 'all' && r.devices.length > 0 ? ' (all GPUs: no process of the run was seen on one)' : ''}`,
  ];
  const st = r.stabilization as { epoch: number | null; method: string } | null;
  const p = r.projection;
  if (st?.epoch) {
    lines.push(
      `profiler: stable from epoch ${st.epoch} (${st.method})` +
        (p ? `; projected at the window end: ${fmtProjection(p)}${p.provisional ? ' (provisional)' : ''}` : ''),
    );
  }
  if (r.devices.length === 0) lines.push('profiler: no GPU was measured (nvidia-smi unavailable or no GPU matched): host metrics only');
  const b = r.budget ?? null;
  if (b) lines.push(`profiler: ${budgetLine(b)}`);
  if (e.gaps > 0) lines.push(`profiler: ${e.gaps} gap(s) in the GPU samples were not bridged; GPU coverage ${(e.gpuCoverage * 100).toFixed(1)} %`);
  lines.push(`profiler: details: profiler show ${r.id}`);
  return printable(lines.join('\n'));
}

/** "budget 500 J (stop): exceeded at …: why" or "budget 500 J (warn): not exceeded". */
export function budgetLine(b: NonNullable<RunJson['budget']>): string {
  const head = `budget ${fmtJ(b.limitJ)} (${b.action})`;
  return b.exceeded ? `${head}: exceeded at ${b.at ?? '?'}: ${b.reason ?? ''}` : `${head}: not exceeded`;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `value / max` × `width` cells in eighths of a block (empty for null or a max of 0). */
export function bar(value: number | null, max: number, width = 20): string {
  if (value === null || !(max > 0) || !(value > 0)) return '';
  const eighths = Math.round((Math.min(value, max) / max) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** One error as the CLI prints it: the code ends the message's first line (a usage text after it stays below). */
export function describeError(err: unknown): string {
  const e = asProfilerError(err);
  const nl = e.message.indexOf('\n');
  return printable(nl < 0 ? `${e.message} [${e.code}]` : `${e.message.slice(0, nl)} [${e.code}]${e.message.slice(nl)}`);
}

// C0 and C1 controls but newline and tab, DEL, and the bidirectional overrides that reorder what a terminal shows.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text for a terminal with control characters shown as escapes (`\x1b`, `\u202e`): a run name, a command or an
 * error message comes from whoever registered the run, and must not drive the terminal that prints it.
 */
export function printable(text: string): string {
  return text.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** "profiler: " before a line, unless it names the command already ("profiler run: …"): never "profiler: profiler run:". */
export function prefixed(line: string): string {
  return /^profiler[ :]/.test(line) ? line : `profiler: ${line}`;
}

/** The error as `--json` callers read it, in the API's shape. */
export function errorJson(err: unknown): { error: { code: ErrorCode; message: string } } {
  const e = asProfilerError(err);
  return { error: { code: e.code, message: e.message } };
}

/** Whether the command line asks for JSON: `--json` before any `--` (none for `run`: its words belong to the command). */
export function wantsJson(argv: readonly string[]): boolean {
  if (argv[0] === 'run') return false;
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}
