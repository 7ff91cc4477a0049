import type { Config } from '../../config/schema.js';
import { invalid } from '../../errors.js';
import { withRunSet } from '../../runs/open.js';
import type { RunStatus } from '../../store/runs.js';
import { runJson, type RunJson } from '../../runs/report.js';
import { bar, budgetLine, fmtDuration, fmtJ, fmtProjection, printable } from '../format.js';

const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'interrupted', 'imported'];

export const RUNS_HELP = `Usage: profiler runs [--json] [--limit N] [--status S] [--name NAME] [--job ID]

Lists the recorded runs, newest first (20 unless --limit; every one of a job with --job). Read from the database:
works whether or not the daemon runs.

Options:
  --limit N        at most N runs
  --status S       only runs with that status: ${RUN_STATUSES.join(', ')}
  --name NAME      only runs named exactly NAME
  --job ID         only the runs of that job on this node
  --json           the runs as a JSON array (the run JSON without epochs)
  -h, --help       this help

Example:
  profiler runs --status succeeded --limit 5`;

export const SHOW_HELP = `Usage: profiler show RUN [--json]
       profiler show --job ID [--json]

Shows one run: command, times, energy (GPU, RAM, CPU), devices, stabilization, projection, budget and the
per-epoch table. RUN is an id, a unique id prefix, or "last" (the most recently recorded run, an import included).
With --job: the job's runs on this node, summed.

Options:
  --json           the run JSON (README: JSON of a run)
  --job ID         the job's runs on this node instead of one run
  -h, --help       this help

Example:
  profiler show last`;

export interface RunsFilter {
  json: boolean;
  limit: number | null;
  job?: string;
  status?: RunStatus;
  name?: string;
}

/** `--status` as a run status, PROF_ERR_INVALID naming the choices otherwise. */
export function parseStatus(raw: string | undefined): RunStatus | undefined {
  if (raw === undefined) return undefined;
  const s = RUN_STATUSES.find((x) => x === raw);
  if (s === undefined) throw invalid(`--status must be one of ${RUN_STATUSES.join(', ')}, got "${raw}"`);
  return s;
}

function table(raw: string[][]): string {
  const rows = raw.map((r) => r.map(printable));
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

// Runs are read straight from the database, so `runs` and `show` work whether or not the daemon runs.
export async function runsCommand(cfg: Config, opts: RunsFilter): Promise<number> {
  const limit = opts.limit ?? (opts.job === undefined ? 20 : 10_000);
  const list = await withRunSet(cfg, (d) =>
    // A name is matched here, over every run of the status: the store filters by status and job only.
    d.runs.list({ limit: opts.name === undefined ? limit : undefined, jobId: opts.job, status: opts.status })
      .filter((r) => opts.name === undefined || r.name === opts.name).slice(0, limit).map((r) => runJson(d, r, { epochs: false })));
  if (opts.json) {
    process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    return 0;
  }
  if (list.length === 0 && opts.job !== undefined) {
    process.stdout.write(`no runs of job ${printable(opts.job)} on this node (home ${cfg.home})\n`);
    return 0;
  }
  if (list.length === 0 && (opts.status !== undefined || opts.name !== undefined)) {
    process.stdout.write(`no runs match${opts.status ? ` status ${opts.status}` : ''}${opts.name !== undefined ? ` name ${printable(JSON.stringify(opts.name))}` : ''} (home ${cfg.home})\n`);
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write(`no runs yet (home ${cfg.home}); start one with: profiler run -- CMD\n`);
    return 0;
  }
  const rows = [['ID', 'NAME', 'STATUS', 'STARTED', 'DURATION', 'ENERGY', 'GPUS', 'JOB', 'COMMAND']];
  for (const r of list) {
    rows.push([r.id, r.name ?? '', r.status, r.startedAt.slice(0, 19).replace('T', ' '), fmtDuration(r.durationS),
      fmtJ(r.energy.totalJ), String(r.devices.length), r.job ? `${r.job.id}${r.job.rank === null ? '' : `/${r.job.rank}`}` : '',
      r.command.join(' ').slice(0, 50)]);
  }
  process.stdout.write(table(rows) + '\n');
  return 0;
}

/** GPU energy by NVML's counter next to ∫ power.draw and their difference; or why the counter was not used. */
export function gpuMethodLines(e: RunJson['energy']): string[] {
  if (e.gpuCounterJ !== null) {
    const diff = e.gpuIntegralJ === 0 ? '—' : `${(((e.gpuCounterJ - e.gpuIntegralJ) / e.gpuIntegralJ) * 100).toFixed(2)} %`;
    return [`gpu meter NVML counter ${fmtJ(e.gpuCounterJ)} (used)  ∫ power.draw ${fmtJ(e.gpuIntegralJ)}  counter − integral ${diff}`];
  }
  return e.gpuNote === null ? [] : [`gpu meter ∫ power.draw ${fmtJ(e.gpuIntegralJ)} (used): ${e.gpuNote}`];
}

export function formatRun(r: RunJson): string {
  const out = [
    `run ${r.id}${r.name ? ` (${r.name})` : ''}: ${r.status}${r.exitCode !== null ? `, exit ${r.exitCode}` : ''}${r.signal ? `, ${r.signal}` : ''}`,
    `command   ${r.command.join(' ')}`,
    ...(r.job ? [`job       ${r.job.id} (${r.job.source}${r.job.step === null ? '' : `, step ${r.job.step}`}), rank ${r.job.rank ?? '—'}, host ${r.host ?? r.job.host ?? '—'}`] : []),
    `started   ${r.startedAt}   ended ${r.endedAt ?? '—'}   duration ${fmtDuration(r.durationS)}`,
    `energy    total ${fmtJ(r.energy.totalJ)}  GPU ${fmtJ(r.energy.gpuJ)}  RAM ${fmtJ(r.energy.ramJ)}  CPU ${r.energy.cpuJ === null ? 'not measured' : fmtJ(r.energy.cpuJ)}`,
    `baselines MLCO2 ${fmtJ(r.baselines.mlco2J)}  Green Algorithms ${fmtJ(r.baselines.greenAlgorithmsJ)}`,
    `gpus      ${r.devices.length === 0 ? 'none measured' : r.devices.map((d) => `${d.index ?? '?'}:${d.name ?? d.uuid}${d.shared ? ' (shared)' : ''}`).join(', ')}  [${r.gpuSource}]`,
  ];
  out.push(...gpuMethodLines(r.energy));
  const st = r.stabilization;
  out.push(
    st === null
      ? 'stable    not determined yet'
      : `stable    from epoch ${st.epoch ?? '—'} (${st.method}${st.confident ? '' : ', provisional'}; FLUSS at ${st.flussAt ?? '—'}, CAC ${st.cacMin === null ? '—' : st.cacMin.toFixed(3)})`,
  );
  const p = r.projection;
  if (p) {
    out.push(
      `projected ${fmtProjection(p)}  ` +
        `(window of ${p.windowEpochs} epochs after epoch ${p.stableFromEpoch ?? '—'}${p.provisional ? ', provisional' : ''})`,
    );
  }
  if (r.budget) out.push(`budget    ${budgetLine(r.budget).replace(/^budget /, '')}`);
  if (r.energy.gaps > 0) out.push(`gaps      ${r.energy.gaps} not bridged; GPU coverage ${(r.energy.gpuCoverage * 100).toFixed(1)} %`);
  const ep = r.epochs ?? [];
  out.push(`epochs    ${ep.length}${r.expectedEpochs ? ` of ${r.expectedEpochs} expected` : ''}`);
  if (ep.length > 0) {
    // Energy drawn as a bar per epoch: the warm-up and the stable stretch show at a glance.
    const maxJ = Math.max(0, ...ep.map((e) => e.energyJ ?? 0));
    const rows = [['EPOCH', 'DURATION', 'ENERGY', 'GPU', 'RAM', 'AVG POWER', '']];
    for (const e of ep) {
      rows.push([String(e.epoch), fmtDuration(e.durationS), fmtJ(e.energyJ), fmtJ(e.gpuJ), fmtJ(e.ramJ),
        e.avgPowerW === null ? '—' : `${e.avgPowerW.toFixed(1)} W`, bar(e.energyJ, maxJ)]);
    }
    out.push(table(rows));
  }
  return printable(out.join('\n'));
}

export async function showCommand(cfg: Config, ref: string, opts: { json: boolean }): Promise<number> {
  const r = await withRunSet(cfg, (d) => runJson(d, d.runs.resolve(ref), { epochs: true }));
  process.stdout.write((opts.json ? JSON.stringify(r, null, 2) : formatRun(r)) + '\n');
  return 0;
}
