// Worker thread: scans ranges of diagonals on request and posts the per-row best correlations back.
import { parentPort } from 'node:worker_threads';
import { emptyProfile, prepare } from './matrix-profile-kernel.js';
import { scanDiagonals } from './matrix-profile-scan.js';
import type { FromWorker, ToWorker } from './matrix-profile-pool.js';

parentPort?.on('message', ({ id, job }: ToWorker) => {
  try {
    const p = prepare(job.series, job.m);
    const { rho, idx } = emptyProfile(p.l);
    scanDiagonals(p, job.gStart, job.gStop, rho, idx);
    const msg: FromWorker = { id, result: { rho, idx } };
    // Copied, not transferred: detaching a buffer invalidates a V8 protector and slows every later scan here.
    parentPort?.postMessage(msg);
  } catch (err) {
    const msg: FromWorker = { id, error: err instanceof Error ? err.message : String(err) };
    parentPort?.postMessage(msg);
  }
});
