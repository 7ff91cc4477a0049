// Worker thread: scans chunks of diagonals into a per-call running result and hands it back on `collect`.
import { parentPort } from 'node:worker_threads';
import { emptyProfile, prepare, type Prepared } from './matrix-profile-kernel.js';
import { scanDiagonals } from './matrix-profile-scan.js';
import type { FromWorker, ToWorker } from './matrix-profile-pool.js';

const calls = new Map<number, { p: Prepared; rho: Float64Array; idx: Int32Array }>();

function handle(msg: ToWorker): FromWorker {
  if (msg.kind === 'collect') {
    const state = calls.get(msg.call);
    calls.delete(msg.call);
    if (!state) return { id: msg.id, error: `no scans for call ${msg.call}` };
    return { id: msg.id, result: { rho: state.rho, idx: state.idx } };
  }
  let state = calls.get(msg.call);
  if (!state) {
    if (!msg.series) return { id: msg.id, error: `first scan of call ${msg.call} came without the series` };
    const p = prepare(msg.series, msg.m);
    state = { p, ...emptyProfile(p.l) };
    calls.set(msg.call, state);
  }
  scanDiagonals(state.p, msg.gStart, msg.gStop, state.rho, state.idx);
  return { id: msg.id };
}

parentPort?.on('message', (msg: ToWorker) => {
  let reply: FromWorker;
  try {
    reply = handle(msg);
  } catch (err) {
    reply = { id: msg.id, error: err instanceof Error ? err.message : String(err) };
  }
  // Copied, not transferred: detaching a buffer invalidates a V8 protector and slows every later scan here.
  parentPort?.postMessage(reply);
});
