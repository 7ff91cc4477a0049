// Runs detectStabilization in a worker_thread so the daemon's event loop never waits on the matrix profile.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { detectStabilization, type Stabilization, type StabilizationInput } from './stabilization.js';
import { internal } from '../errors.js';

const JOB = 'train-profiler:stabilization';

interface Job {
  kind: typeof JOB;
  input: StabilizationInput;
}

type Reply = { ok: true; result: Stabilization | null } | { ok: false; message: string; code?: string };

/** Same answer as detectStabilization, computed in a worker thread (this compiled file is the worker's script). */
export function detectStabilizationInWorker(input: StabilizationInput): Promise<Stabilization | null> {
  return new Promise((resolve, reject) => {
    const job: Job = { kind: JOB, input: { ...input, t: Float64Array.from(input.t), powerW: Float64Array.from(input.powerW) } };
    let worker: Worker;
    try {
      worker = new Worker(new URL(import.meta.url), { workerData: job });
    } catch (err) {
      reject(internal('stabilization worker could not start', { cause: err }));
      return;
    }
    let answered = false;
    worker.once('message', (reply: Reply) => {
      answered = true;
      if (reply.ok) resolve(reply.result);
      else reject(Object.assign(new Error(reply.message), reply.code === undefined ? {} : { code: reply.code }));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      answered = true;
      reject(internal('stabilization worker failed', { cause: err }));
    });
    worker.once('exit', (code) => {
      if (!answered) reject(internal(`stabilization worker exited with code ${code} before answering`));
    });
  });
}

// Only a worker started by the function above runs the job; importing this module elsewhere does nothing.
const job = workerData as Partial<Job> | null;
if (!isMainThread && job?.kind === JOB && job.input !== undefined) {
  let reply: Reply;
  try {
    reply = { ok: true, result: detectStabilization(job.input) };
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    reply = { ok: false, message: String(e.message ?? err), ...(typeof e.code === 'string' ? { code: e.code } : {}) };
  }
  parentPort?.postMessage(reply);
}
