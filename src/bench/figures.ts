// Figures from the benchmarks that return plain numbers: GET /projection latency and nvidia-smi CSV import.
import { benchProjection } from './api.js';
import { benchImport } from './import.js';
import { figure, type Figure } from './util.js';

/** GET /v1/runs/:id/projection at 1,000 req/s for 10 s while sampling 8 GPUs, 3 daemons (quick: 200 req/s, 1 s). */
export async function benchApi(opts: { quick: boolean }): Promise<Figure[]> {
  const rps = opts.quick ? 200 : 1000;
  const seconds = opts.quick ? 1 : 10;
  const runs = opts.quick ? 1 : 3;
  const got = [];
  for (let r = 0; r < runs; r++) got.push(await benchProjection({ rps, seconds, gpus: 8 }));
  const params = { rps, seconds, gpus: 8 };
  const errors = got.reduce((a, g) => a + g.errors, 0);
  return [
    figure(`api/projection/p50/rps=${rps}`, 'GET projection p50', params, 'ms', got.map((g) => g.p50Ms)),
    figure(`api/projection/p99/rps=${rps}`, 'GET projection p99', params, 'ms', got.map((g) => g.p99Ms), { op: '<=', value: 2 },
      `${errors} errors in ${got.reduce((a, g) => a + g.requests, 0)} requests`),
  ];
}

/** Import of a synthetic 1 GB nvidia-smi log, 3 times (quick: 2 MB once). */
export async function benchImportFigures(opts: { quick: boolean }): Promise<Figure[]> {
  const sizeMB = opts.quick ? 2 : 1000;
  const r = await benchImport({ sizeMB, runs: opts.quick ? 1 : 3 });
  const params = { sizeMB, rows: r.rows };
  return [
    figure(`import/mbps/size=${sizeMB}`, 'import throughput', params, 'MB/s', r.mbPerS, { op: '>=', value: 50 }),
    figure(`import/rss/size=${sizeMB}`, 'import peak RSS', params, 'MB', r.peakRssMB, { op: '<=', value: 100 }),
    figure(`import/vs-sqlite/size=${sizeMB}`, 'import time / SQLite alone (same rows)', params, 'x', r.vsSqlite, null,
      'reference: the rows stored through SampleStore in the same batches, no parsing, no energy; run after each import'),
    figure(`import/sqlite-rss/size=${sizeMB}`, 'SQLite alone peak RSS (reference)', params, 'MB', r.sqliteRssMB),
    figure(`import/cli-mbps/size=${sizeMB}`, '`profiler import` throughput (start-up and analysis included)', params, 'MB/s', r.cliMbPerS, null,
      'the command as a user runs it: node start-up, configuration, the import, the stabilization analysis of the run'),
    figure(`import/cli-rss/size=${sizeMB}`, '`profiler import` peak RSS (analysis included)', params, 'MB', r.cliRssMB, null,
      'polled from /proc every 20 ms'),
  ];
}
