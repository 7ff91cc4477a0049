import { parseArgs } from 'node:util';
import type { Config } from '../../config/schema.js';
import { invalid, usage } from '../../errors.js';
import type { JobProjection } from '../../runs/job-energy.js';
import { jobJson, type JobJson } from '../../runs/job-report.js';
import { withRunSet } from '../../runs/open.js';
import { JOB_ID_RE } from '../../store/runs.js';
import { fmtJ, printable } from '../format.js';
import { promQuery } from '../prom-query.js';
import { argError } from '../help.js';

export const JOB_USAGE = 'usage: profiler job ID [--prometheus URL [--range DURATION]] [--json]';

export const JOB_HELP = `Usage: profiler job ID [--prometheus URL [--range DURATION]] [--json]

A job's energy: without --prometheus, its runs on this node summed (as profiler show --job ID); with it, across
every node Prometheus scrapes (profiler_job_energy_joules_total by host).

Options:
  --prometheus URL     the Prometheus server (http://host:9090)
  --range DURATION     how far back to look, a Prometheus duration (default 30d)
  --json               the job as JSON
  -h, --help           this help

Example:
  profiler job exp-7 --prometheus http://prometheus:9090`;

/** A job's energy across the nodes that Prometheus scrapes. */
export interface FleetJobJson {
  id: string;
  prometheus: string;
  hosts: { host: string; energyJ: number }[];
  totalJ: number;
  projection: JobProjection;
}

/**
 * The job from Prometheus: each host's latest counter within the range (a finished job's series are gone from
 * /metrics after the grace period, not from the TSDB), summed; projections summed where every host has one.
 */
export async function fleetJob(url: string, id: string, range: string): Promise<FleetJobJson> {
  const sel = `{job_id="${id}"}`;
  const energy = await promQuery(url, `max by (host) (max_over_time(profiler_job_energy_joules_total${sel}[${range}]))`);
  const projected = await promQuery(url, `max by (host, method) (last_over_time(profiler_job_projected_energy_joules${sel}[${range}]))`);
  const hosts = energy.map((s) => ({ host: s.labels.host ?? '', energyJ: s.value })).sort((a, b) => a.host.localeCompare(b.host));
  const method = (m: string): number | null => {
    const vals = hosts.map((h) => projected.find((p) => p.labels.method === m && (p.labels.host ?? '') === h.host)?.value);
    return hosts.length === 0 || vals.some((v) => v === undefined) ? null : vals.reduce<number>((a, v) => a + (v ?? 0), 0);
  };
  return { id, prometheus: url, hosts, totalJ: hosts.reduce((a, h) => a + h.energyJ, 0),
    projection: { powerBasedJ: method('power_based'), epochEnergyBasedJ: method('epoch_energy') } };
}

const projLine = (p: JobProjection): string => `projected epoch-energy ${fmtJ(p.epochEnergyBasedJ)}, power-based ${fmtJ(p.powerBasedJ)}`;

export function formatFleetJob(j: FleetJobJson): string {
  if (j.hosts.length === 0) return `job ${j.id}: no series in Prometheus at ${j.prometheus}`;
  const w = Math.max(5, ...j.hosts.map((h) => h.host.length));
  return printable([`job ${j.id} (Prometheus ${j.prometheus})`, ...j.hosts.map((h) => `${h.host.padEnd(w)}  ${fmtJ(h.energyJ)}`),
    `${'total'.padEnd(w)}  ${fmtJ(j.totalJ)}`, projLine(j.projection)].join('\n'));
}

export function formatLocalJob(j: JobJson): string {
  return printable([
    `job ${j.id} on ${j.host}: ${j.status}, ${j.runs.length} run${j.runs.length === 1 ? '' : 's'}, ${j.gpus} GPU${j.gpus === 1 ? '' : 's'}`,
    `started   ${j.startedAt}   ended ${j.endedAt ?? '—'}`,
    `energy    total ${fmtJ(j.energy.totalJ)}  GPU ${fmtJ(j.energy.gpuJ)}  RAM ${fmtJ(j.energy.ramJ)}  (a GPU shared by runs counted once)`,
    projLine(j.projection),
    ...j.runs.map((r) => `run ${r.id}  rank ${r.job?.rank ?? '—'}  ${r.status}  ${fmtJ(r.energy.totalJ)}  ${r.command.join(' ').slice(0, 50)}`),
  ].join('\n'));
}

/** This node's part of the job, from the database (`profiler show --job`). */
export async function localJobCommand(cfg: Config, id: string, json: boolean): Promise<number> {
  if (!JOB_ID_RE.test(id)) throw invalid(`not a job id: "${id.slice(0, 140)}"`);
  const j = await withRunSet(cfg, (set) => jobJson(set, id));
  process.stdout.write((json ? JSON.stringify(j, null, 2) : formatLocalJob(j)) + '\n');
  return 0;
}

/** `profiler job ID [--prometheus URL] [--json]`. */
export async function jobCommand(cfg: Config, argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: {
      prometheus: { type: 'string' }, range: { type: 'string', default: '30d' }, json: { type: 'boolean', default: false } } });
  } catch (err) {
    throw argError(err, JOB_HELP, 'job');
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw usage(JOB_USAGE);
  const id = positionals[0] as string;
  const json = values.json ?? false;
  if (values.prometheus === undefined) return localJobCommand(cfg, id, json);
  if (!JOB_ID_RE.test(id)) throw invalid(`not a job id: "${id.slice(0, 140)}"`);
  const range = values.range ?? '30d';
  if (!/^\d+[smhdwy]$/.test(range)) throw invalid(`--range takes a Prometheus duration such as 6h or 30d, got "${range}"`);
  if (!/^https?:\/\/[^\s/]+/.test(values.prometheus)) throw invalid(`--prometheus takes the server's URL (http://host:9090), got "${values.prometheus}"`);
  const j = await fleetJob(values.prometheus, id, range);
  process.stdout.write((json ? JSON.stringify(j, null, 2) : formatFleetJob(j)) + '\n');
  return 0;
}
