import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { loadConfig } from '../config/load.js';
import { createDaemon } from '../daemon/create-daemon.js';
import { packageRoot } from '../platform/paths.js';
import { fakeProfile } from './util.js';
import { internal } from '../errors.js';

export interface ApiBench {
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
}

// The load generator runs in a worker thread so its event loop does not share time with the daemon's: an open-loop
// fixed-rate schedule over keep-alive connections, latency from send to the end of the response.
const LOADGEN = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, rps, total, connections } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const lat = [];
let errors = 0, done = 0, sent = 0;
const t0 = performance.now();
function fin() { if (++done === total) { agent.destroy(); parentPort.postMessage({ lat, errors }); } }
function one() {
  const s = performance.now();
  const req = http.get(url, { agent }, (res) => {
    res.resume();
    res.on('end', () => { if (res.statusCode !== 200) errors++; lat.push(performance.now() - s); fin(); });
  });
  req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  req.on('error', () => { errors++; fin(); });
}
(function tick() {
  const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rps) + 1);
  while (sent < due) { sent++; one(); }
  if (sent < total) setTimeout(tick, 1);
})();
`;

function drive(url: string, rps: number, total: number): Promise<{ lat: number[]; errors: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOADGEN, { eval: true, workerData: { url, rps, total, connections: 16 } });
    w.once('message', (m: { lat: number[]; errors: number }) => {
      void w.terminate();
      resolve(m);
    });
    w.once('error', reject);
  });
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;


/**
 * GET /v1/runs/:id/projection at a fixed rate against a daemon sampling `gpus` fake GPUs every 100 ms with a run
 * going on (real HTTP on 127.0.0.1, keep-alive). Latencies in ms; errors = non-200 answers and failed requests.
 */
export async function benchProjection(opts: { rps: number; seconds: number; gpus: number }): Promise<ApiBench> {
  const home = mkdtempSync(join(tmpdir(), 'profiler-bench-api-'));
  const profile = join(home, 'fake-profile.json');
  writeFileSync(profile, JSON.stringify(fakeProfile(opts.gpus)));
  const saved = process.env.FAKE_SMI_PROFILE;
  process.env.FAKE_SMI_PROFILE = profile;
  const config = loadConfig({ env: { PROFILER_HOME: home, PROFILER_PORT: '0', PROFILER_SAMPLE_MS: '100',
    PROFILER_NVIDIA_SMI: join(packageRoot(), 'scripts', 'fake-nvidia-smi') } });
  const daemon = createDaemon({ config, logger: pino({ level: 'silent' }) });
  try {
    const { port } = await daemon.listen();
    const created = await daemon.app.inject({ method: 'POST', url: '/v1/runs', payload: { command: ['bench'], expectedEpochs: 100 } });
    const run = created.json() as { id: string };
    const row = daemon.runs.byId(run.id);
    if (!row) throw internal(`bench run not created: ${created.body}`);
    // A projection like the analysis writes, so the answer has its real size.
    daemon.runs.update(row.rid, { analysis: {
      stabilization: null,
      projection: { powerBasedJ: 1.234e7, epochEnergyBasedJ: 1.229e7, windowEpochs: 5, stableFromEpoch: 11, provisional: true,
        powerBased: null, epochEnergyBased: null, bands: null },
    } });
    const deadline = Date.now() + 10_000;
    while (daemon.sampling.samplesReceived < opts.gpus * 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = `http://127.0.0.1:${port}/v1/runs/${run.id}/projection`;
    await drive(url, opts.rps, Math.max(50, Math.round(opts.rps / 2))); // warm-up: connections, JIT
    const total = Math.max(1, Math.round(opts.rps * opts.seconds));
    const { lat, errors } = await drive(url, opts.rps, total);
    lat.sort((a, b) => a - b);
    return { p50Ms: pct(lat, 50), p99Ms: pct(lat, 99), requests: total, errors };
  } finally {
    await daemon.close();
    if (saved === undefined) delete process.env.FAKE_SMI_PROFILE;
    else process.env.FAKE_SMI_PROFILE = saved;
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [rps = '1000', seconds = '10', gpus = '8'] = process.argv.slice(2);
  benchProjection({ rps: Number(rps), seconds: Number(seconds), gpus: Number(gpus) })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
