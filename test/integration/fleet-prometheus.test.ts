import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { jobJson } from '../../src/runs/job-report.js';
import { freePort, ROOT, runCli, waitFor } from '../helpers/cli.js';
import { startDaemon, type TestDaemon } from './api-daemon.js';

// Three daemons in this process stand in for three nodes (own home, port and node name); Debian's prometheus scrapes
// them every second; one job runs on all of them, twice on node-0 (two ranks sharing both GPUs).
const JOB = 'fleet-7';
const NODES = 3;
// Nine GPU streams on a loaded 2-core machine: the default interval, so a slow fake nvidia-smi is not taken for silent.
const SAMPLE_MS = '200';
const PROMETHEUS = ['prometheus', '/usr/bin/prometheus'].find((p) => spawnSync(p, ['--version']).status === 0) ?? 'prometheus';

const PROMTOOL = join(dirname(spawnSync('sh', ['-c', `command -v ${PROMETHEUS}`]).stdout.toString().trim() || '/usr/bin/x'), 'promtool');

/** The YAML blocks of docs/prometheus.md: the scrape config and the rules, as a reader copies them. */
function docBlocks(): { config: string; rules: string } {
  const blocks = [...readFileSync(join(ROOT, 'docs/prometheus.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const config = blocks.find((b) => b.includes('scrape_configs:'));
  const rules = blocks.find((b) => b.includes('groups:'));
  assert.ok(config && rules, 'docs/prometheus.md has a scrape config and rules');
  return { config, rules };
}

/** Every PromQL expression of the Grafana dashboard, its variables set to all hosts and this job. */
function dashboardExprs(job: string): string[] {
  const out: string[] = [];
  const walk = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === 'object') {
      for (const [k, v] of Object.entries(o)) if (k === 'expr' && typeof v === 'string') out.push(v); else walk(v);
    }
  };
  walk(JSON.parse(readFileSync(join(ROOT, 'dashboards/grafana-train-profiler.json'), 'utf8')).panels);
  return out.map((e) => e.replaceAll('$host', '.*').replaceAll('$job_id', job));
}

const within = (a: number, b: number, rel: number): boolean => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));

describe('the fleet on a real Prometheus: job energy across nodes', { timeout: 120_000 }, () => {
  const nodes: TestDaemon[] = [];
  let prom: ChildProcess | null = null;
  let promDir = '';
  let promUrl = '';
  const envOf = (t: TestDaemon, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, PROFILER_HOME: t.home, PROFILER_PORT: new URL(t.url).port,
      PROFILER_NVIDIA_SMI: t.daemon.config.nvidiaSmi, PROFILER_SAMPLE_MS: SAMPLE_MS, ...extra };
    for (const k of ['CUDA_VISIBLE_DEVICES', 'SLURM_JOB_ID', 'SLURM_PROCID', 'TORCHELASTIC_RUN_ID', 'RANK']) if (!(k in extra)) delete env[k];
    return env;
  };
  const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = await res.json() as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  };

  before(async () => {
    for (let i = 0; i < NODES; i++) {
      nodes.push(await startDaemon({ PROFILER_NODE_NAME: `node-${i}`, PROFILER_METRICS_GRACE_S: '600', PROFILER_SAMPLE_MS: SAMPLE_MS }));
    }
    promDir = mkdtempSync(join(tmpdir(), 'profiler-prom-'));
    const targets = nodes.map((t) => `'${new URL(t.url).host}'`).join(', ');
    // The documented rules with a budget every job passes and no waiting, so the alert must fire here.
    const { rules } = docBlocks();
    assert.ok(rules.includes('> 3.6e9') && rules.includes('for: 5m'));
    writeFileSync(join(promDir, 'rules.yml'), rules.replace('> 3.6e9', '> 1').replace('for: 5m', 'for: 0s'));
    writeFileSync(join(promDir, 'prometheus.yml'), [
      'global:', '  scrape_interval: 1s', '  scrape_timeout: 900ms', '  evaluation_interval: 1s', `rule_files: ['${join(promDir, 'rules.yml')}']`,
      'scrape_configs:', '  - job_name: train-profiler', '    static_configs:', `      - targets: [${targets}]`, ''].join('\n'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn(PROMETHEUS, [`--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    prom.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await waitFor(async () => {
      if (prom?.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
      return (await fetch(`${promUrl}/-/ready`).catch(() => null))?.ok;
    }, 30_000, 'Prometheus ready');
  });

  after(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom?.once('exit', r));
      prom.kill('SIGTERM');
      const kill = setTimeout(() => prom?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    }
    for (const t of nodes) await t.close();
    if (promDir) rmSync(promDir, { recursive: true, force: true });
  });

  it('the documented scrape config and rules pass promtool', () => {
    const { config, rules } = docBlocks();
    writeFileSync(join(promDir, 'doc-config.yml'), config);
    writeFileSync(join(promDir, 'doc-rules.yml'), rules);
    const c = spawnSync(PROMTOOL, ['check', 'config', '--syntax-only', join(promDir, 'doc-config.yml')], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stdout + c.stderr);
    const r = spawnSync(PROMTOOL, ['check', 'rules', join(promDir, 'doc-rules.yml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 4 rules found/);
  });

  it('sum by (job_id) of profiler_job_energy_joules_total equals the nodes\' own totals; profiler job reads it back', async () => {
    const runs = [0, 0, 1, 2].map((n, rank) => runCli(['run', '--job', JOB, '--quiet', '--', 'sleep', '3'],
      { env: envOf(nodes[n] as TestDaemon, { RANK: String(rank) }) }));
    // node-0's job counter read while its runs live: it only goes up (the runs' ends re-integrate it from scratch).
    const seen: number[] = [];
    let done = false;
    const watch = (async () => {
      while (!done) {
        const m = (await nodes[0]?.daemon.app.inject({ method: 'GET', url: '/metrics' }))?.body
          .match(new RegExp(`^profiler_job_energy_joules_total\\{job_id="${JOB}",host="node-0"\\} (\\S+)$`, 'm'));
        if (m) seen.push(Number(m[1]));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const ended = await Promise.all(runs);
    done = true;
    await watch;
    for (const r of ended) assert.equal(r.code, 0, r.stderr);
    assert.ok(seen.length >= 3, `read ${seen.length} times`);
    assert.ok(seen.every((v, i) => i === 0 || v >= (seen[i - 1] as number)), `monotonic: ${seen.join(' ')}`);

    // Each node's own total, from its stored samples; its /metrics counter settles on it once the runs are sealed.
    const own = nodes.map((t) => jobJson(t.daemon.set, JOB));
    for (const [i, j] of own.entries()) {
      assert.equal(j.host, `node-${i}`);
      assert.equal(j.status, 'finished');
      assert.ok(j.energy.totalJ > 0, `node-${i} measured energy: ${JSON.stringify({ ...j, runs: j.runs.map((r) => [r.status, r.energy, r.devices.length, r.gpuSource, r.durationS]) })}`);
    }
    const [n0] = own;
    assert.ok(n0);
    assert.equal(n0.runs.length, 2);
    assert.equal(n0.gpus, 2, 'both GPUs, each counted once');
    const summed = n0.runs.reduce((a, r) => a + r.energy.totalJ, 0);
    assert.ok(n0.energy.totalJ < summed && n0.energy.totalJ > Math.max(...n0.runs.map((r) => r.energy.totalJ)),
      `node-0's job (${n0.energy.totalJ} J) counts the shared GPUs once: less than its runs summed (${summed} J)`);
    const env0 = envOf(nodes[0] as TestDaemon);
    const listed = JSON.parse((await runCli(['runs', '--job', JOB, '--json'], { env: env0 })).stdout.toString());
    assert.deepEqual(listed.map((r: { job: { rank: number } }) => r.job.rank).sort(), [0, 1]);
    for (const r of listed) {
      assert.equal(r.host, 'node-0');
      assert.deepEqual({ ...r.job, rank: 0 }, { id: JOB, source: 'flag', host: r.job.host, rank: 0, step: null });
    }
    assert.deepEqual(JSON.parse((await runCli(['runs', '--job', 'other', '--json'], { env: env0 })).stdout.toString()), []);
    const shown = JSON.parse((await runCli(['show', '--job', JOB, '--json'], { env: env0 })).stdout.toString());
    assert.ok(within(shown.energy.totalJ, n0.energy.totalJ, 1e-9));
    const local = JSON.parse((await runCli(['job', JOB, '--json'], { env: env0 })).stdout.toString());
    assert.deepEqual({ ...local, runs: local.runs.length }, { ...shown, runs: 2 });
    const shownText = (await runCli(['show', '--job', JOB], { env: env0 })).stdout.toString();
    assert.match(shownText, new RegExp(`^job ${JOB} on node-0: finished, 2 runs, 2 GPUs\n`));
    assert.equal((await runCli(['show', '--job', 'nope'], { env: env0 })).code, 2);
    for (const [i, t] of nodes.entries()) {
      const total = own[i]?.energy.totalJ ?? 0;
      let last = 'none';
      await waitFor(async () => {
        const m = (await t.daemon.app.inject({ method: 'GET', url: '/metrics' })).body
          .match(new RegExp(`^profiler_job_energy_joules_total\\{job_id="${JOB}",host="node-${i}"\\} (\\S+)$`, 'm'));
        last = m?.[1] ?? 'none';
        return m !== null && within(Number(m[1]), total, 1e-6);
      }, 30_000, `node-${i}'s /metrics job counter at its own total`).catch((err: Error) => {
        throw new Error(`${err.message}: ${last} J, own ${total} J; ${JSON.stringify(own[i]?.runs.map((r) => [r.energy, r.startedAt, r.endedAt]))}`);
      });
    }

    const expected = own.reduce((a, j) => a + j.energy.totalJ, 0);
    let got = 0;
    await waitFor(async () => {
      const r = await query(`sum by (job_id) (profiler_job_energy_joules_total{job_id="${JOB}"})`);
      got = Number(r[0]?.value[1] ?? 0);
      return r.length === 1 && r[0]?.metric.job_id === JOB && within(got, expected, 0.01);
    }, 45_000, 'Prometheus sum within 1 % of the nodes\' totals');
    process.stdout.write(`# Prometheus sum ${got.toFixed(3)} J vs nodes ${expected.toFixed(3)} J: ${(100 * Math.abs(got - expected) / expected).toFixed(4)} % apart\n`);

    const cli = await runCli(['job', JOB, '--prometheus', promUrl, '--json'], { env: envOf(nodes[0] as TestDaemon) });
    assert.equal(cli.code, 0, cli.stderr);
    const fleet = JSON.parse(cli.stdout.toString('utf8'));
    assert.deepEqual(fleet.hosts.map((h: { host: string }) => h.host), ['node-0', 'node-1', 'node-2']);
    for (const [i, h] of fleet.hosts.entries()) assert.ok(within(h.energyJ, own[i]?.energy.totalJ ?? 0, 0.01), `${h.host}: ${h.energyJ}`);
    assert.ok(within(fleet.totalJ, expected, 0.01));
    // The runs are over: each node projects what it measured.
    assert.ok(within(fleet.projection.epochEnergyBasedJ, expected, 0.01) && within(fleet.projection.powerBasedJ, expected, 0.01));
    const text = await runCli(['job', JOB, '--prometheus', promUrl], { env: envOf(nodes[0] as TestDaemon) });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout.toString(), new RegExp(`^job ${JOB} \\(Prometheus .+\\)\\nnode-0 .+ [kM]?J\\nnode-1 .+\\nnode-2 .+\\ntotal .+\\nprojected epoch-energy .+J, power-based .+J$`, 'm'));

    // The documented recording rules and alert, evaluated by this Prometheus.
    await waitFor(async () => {
      const r = await query(`job_id:profiler_job_energy_joules_total:sum{job_id="${JOB}"}`);
      return r.length === 1 && within(Number(r[0]?.value[1]), expected, 0.01);
    }, 30_000, 'the recorded job energy');
    await waitFor(async () => {
      const body = await (await fetch(`${promUrl}/api/v1/alerts`)).json() as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      return body.data.alerts.some((a) => a.labels.alertname === 'JobProjectedEnergyAboveBudget' && a.labels.job_id === JOB && a.state === 'firing');
    }, 30_000, 'the budget alert firing for the job');
    // Every dashboard query parses, and the job view finds the job.
    for (const e of dashboardExprs(JOB)) {
      const r = await query(e);
      if (e.includes(`job_id=~"${JOB}"`)) assert.ok(r.length > 0, `the job view's ${e}`);
    }
    const none = await runCli(['job', 'no-such-job', '--prometheus', promUrl, '--json'], { env: envOf(nodes[0] as TestDaemon) });
    assert.deepEqual(JSON.parse(none.stdout.toString()).hosts, []);
  });
});
