// A small pool of matrix-profile workers kept between calls: a fresh worker costs ~35 ms to start and
// runs its first scan unoptimized, which would dominate short series.
import { Worker } from 'node:worker_threads';

/** Job a worker receives: the series, window and the diagonal range [gStart, gStop) to scan. */
export interface WorkerJob {
  series: Float64Array;
  m: number;
  gStart: number;
  gStop: number;
}

/** The best correlation and candidate per row over the job's diagonals. */
export interface WorkerResult {
  rho: Float64Array;
  idx: Int32Array;
}

/** Messages between pool and worker. */
export type ToWorker = { id: number; job: WorkerJob };
export type FromWorker = { id: number; result?: WorkerResult; error?: string };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: WorkerResult) => void; reject: (e: Error) => void }>;
}

const workerUrl = new URL('./matrix-profile-worker.js', import.meta.url);
const slots: Slot[] = [];
let nextId = 1;

function failAll(slot: Slot, err: Error): void {
  const at = slots.indexOf(slot);
  if (at >= 0) slots.splice(at, 1);
  for (const p of slot.pending.values()) p.reject(err);
  slot.pending.clear();
}

function spawnSlot(): Slot {
  const worker = new Worker(workerUrl);
  const slot: Slot = { worker, pending: new Map() };
  worker.unref();
  worker.on('message', (msg: FromWorker) => {
    const p = slot.pending.get(msg.id);
    if (!p) return;
    slot.pending.delete(msg.id);
    // Idle workers must not keep the process alive.
    if (slot.pending.size === 0) worker.unref();
    if (msg.result) p.resolve(msg.result);
    else p.reject(new Error(`matrix profile worker failed: ${msg.error ?? 'unknown error'}`));
  });
  worker.on('error', (err) => failAll(slot, new Error('matrix profile worker crashed', { cause: err })));
  worker.on('exit', (code) => failAll(slot, new Error(`matrix profile worker exited with code ${code}`)));
  slots.push(slot);
  return slot;
}

/** Runs the jobs on up to jobs.length pooled workers, one job each. */
export function runJobs(jobs: WorkerJob[]): Promise<WorkerResult[]> {
  while (slots.length < jobs.length) spawnSlot();
  return Promise.all(
    jobs.map(
      (job, k) =>
        new Promise<WorkerResult>((resolve, reject) => {
          const slot = slots[k]!;
          const id = nextId++;
          slot.pending.set(id, { resolve, reject });
          slot.worker.ref();
          const msg: ToWorker = { id, job };
          slot.worker.postMessage(msg);
        }),
    ),
  );
}

/** Terminates the pooled workers (the next parallel call starts fresh ones). */
export async function closeMatrixProfileWorkers(): Promise<void> {
  const all = slots.splice(0, slots.length);
  await Promise.all(all.map((s) => s.worker.terminate()));
}
