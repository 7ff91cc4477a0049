// A small pool of matrix-profile workers kept between calls (a fresh worker costs ~35 ms to start and runs
// its first scans unoptimized), fed chunks of diagonals on demand so a thread slowed by other load does not
// hold the whole profile back.
import { Worker } from 'node:worker_threads';
import { internal } from '../errors.js';

/** The best correlation and candidate per row over the diagonals one worker scanned. */
export interface WorkerResult {
  rho: Float64Array;
  idx: Int32Array;
}

/**
 * Messages to a worker: `scan` adds diagonals [gStart, gStop) to the call's running result (the first scan
 * of a call carries the series), `collect` returns that result and forgets the call.
 */
export type ToWorker =
  | { id: number; kind: 'scan'; call: number; series?: Float64Array; m: number; gStart: number; gStop: number }
  | { id: number; kind: 'collect'; call: number };
export type FromWorker = { id: number; result?: WorkerResult; error?: string };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: WorkerResult | undefined) => void; reject: (e: Error) => void }>;
}

const workerUrl = new URL('./matrix-profile-worker.js', import.meta.url);
const slots: Slot[] = [];
let nextId = 1;
let nextCall = 1;

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
    if (msg.error !== undefined) p.reject(internal(`matrix profile worker failed: ${msg.error}`));
    else p.resolve(msg.result);
  });
  worker.on('error', (err) => failAll(slot, internal('matrix profile worker crashed', { cause: err })));
  worker.on('exit', (code) => failAll(slot, internal(`matrix profile worker exited with code ${code}`)));
  slots.push(slot);
  return slot;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

function send(slot: Slot, msg: WithoutId<ToWorker>): Promise<WorkerResult | undefined> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    slot.pending.set(id, { resolve, reject });
    slot.worker.ref();
    slot.worker.postMessage({ ...msg, id });
  });
}

/** Scans the diagonal chunks on `threads` pooled workers, each taking the next chunk when done. */
export async function scanOnWorkers(
  series: Float64Array,
  m: number,
  chunks: Array<[number, number]>,
  threads: number,
): Promise<WorkerResult[]> {
  const used = Math.min(threads, chunks.length);
  while (slots.length < used) spawnSlot();
  const call = nextCall++;
  let next = 0;
  const drive = async (slot: Slot): Promise<WorkerResult> => {
    let first = true;
    while (next < chunks.length) {
      const [gStart, gStop] = chunks[next++]!;
      await send(slot, { kind: 'scan', call, series: first ? series : undefined, m, gStart, gStop });
      first = false;
    }
    const result = await send(slot, { kind: 'collect', call });
    if (!result) throw internal('matrix profile worker returned no result');
    return result;
  };
  return Promise.all(slots.slice(0, used).map(drive));
}

/** Terminates the pooled workers (the next parallel call starts fresh ones). */
export async function closeMatrixProfileWorkers(): Promise<void> {
  const all = slots.splice(0, slots.length);
  await Promise.all(all.map((s) => s.worker.terminate()));
}
