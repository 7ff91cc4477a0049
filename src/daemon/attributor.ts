import type { Logger } from 'pino';
import { systemScheduler, type Scheduler, type TimerHandle } from '../platform/clock.js';
import type { ComputeApp } from '../samplers/nvidia-smi-parse.js';
import type { DeviceRow, RunRow, RunStore } from '../store/runs.js';
import { matchGpuList, type GpuSource } from './attribution.js';

/**
 * Decides a run's GPUs: CUDA_VISIBLE_DEVICES, else --gpus, else the GPUs where nvidia-smi shows a process of the
 * run's tree (polled), else all GPUs (flagged). Flags GPUs that two running runs share.
 */
export class Attributor {
  private readonly discovering = new Set<string>();
  private poll: TimerHandle | null = null;
  private polling = false;
  /** Polls without a find double the interval (up to 30×): a CPU-only run on a GPU host should not cost a spawn every 2 s. */
  private misses = 0;

  constructor(
    private readonly runs: RunStore,
    private readonly log: Logger,
    private readonly computeApps: () => Promise<ComputeApp[] | null>,
    private readonly pidsOf: (runId: string) => number[],
    private readonly onChanged: (run: RunRow, source: GpuSource) => void,
    private readonly pollMs: number,
    private readonly presentIds: () => Set<number>,
    private readonly scheduler: Scheduler = systemScheduler(),
  ) {}

  /** GPUs of this machine now (the DB also remembers GPUs seen by earlier daemons). */
  private present(): DeviceRow[] {
    const ids = this.presentIds();
    return this.runs.allDevices().filter((d) => ids.has(d.id));
  }

  assign(run: RunRow, req: { cudaVisibleDevices: string | null; gpus: string | null }): void {
    const all = this.present();
    const list = req.cudaVisibleDevices ?? req.gpus;
    if (list !== null) {
      const source: GpuSource = req.cudaVisibleDevices !== null ? 'cuda_visible' : 'flag';
      const m = matchGpuList(list, all);
      if (m.unmatched.length > 0) {
        this.runs.addEvent(run.rid, 'warning', { message: `unknown GPU(s) in ${source}: ${m.unmatched.join(', ')}` });
      }
      this.set(run, m.devices, source);
      return;
    }
    this.set(run, all, 'all');
    this.discovering.add(run.id);
    this.misses = 0;
    this.schedule();
  }

  private schedule(): void {
    if (this.poll || this.discovering.size === 0) return;
    const delay = this.pollMs * Math.min(30, 2 ** Math.min(this.misses, 5));
    this.poll = this.scheduler.setTimeout(() => {
      this.poll = null;
      void this.discover().finally(() => this.schedule());
    }, delay);
  }

  /** A GPU that appeared after the run started joins runs that still use every GPU. */
  deviceAppeared(): void {
    for (const id of this.discovering) {
      const run = this.runs.byId(id);
      if (run && run.gpu_source === 'all') this.set(run, this.present(), 'all');
    }
  }

  release(runId: string): void {
    this.discovering.delete(runId);
    if (this.discovering.size === 0) {
      this.scheduler.clear(this.poll);
      this.poll = null;
    }
  }

  private async discover(): Promise<void> {
    if (this.polling || this.discovering.size === 0) return;
    this.polling = true;
    try {
      const apps = await this.computeApps();
      this.misses++;
      if (!apps) return;
      const all = this.present();
      for (const id of this.discovering) {
        const run = this.runs.byId(id);
        if (!run || run.status !== 'running') continue;
        const pids = new Set(this.pidsOf(id));
        const uuids = new Set(apps.filter((a) => pids.has(a.pid)).map((a) => a.gpuUuid));
        if (uuids.size === 0) continue;
        const current = run.gpu_source === 'compute_apps' ? this.runs.devices(run.rid).map((d) => d.uuid) : [];
        for (const u of current) uuids.add(u);
        const devs = all.filter((d) => uuids.has(d.uuid));
        if (run.gpu_source === 'compute_apps' && devs.length === current.length) continue;
        this.misses = 0;
        this.log.info({ run: id, gpus: devs.map((d) => d.uuid) }, 'gpus attributed from compute apps');
        this.set(run, devs, 'compute_apps');
      }
    } catch (err) {
      this.log.warn({ err }, 'compute-apps poll failed');
    } finally {
      this.polling = false;
    }
  }

  private set(run: RunRow, devices: DeviceRow[], source: GpuSource): void {
    this.runs.setDevices(run.rid, devices.map((d) => d.id), source);
    const mine = new Set(devices.map((d) => d.id));
    for (const other of this.runs.list({ status: 'running' })) {
      if (other.rid === run.rid) continue;
      for (const d of this.runs.devices(other.rid)) {
        if (!mine.has(d.id)) continue;
        this.runs.markShared(run.rid, d.id);
        this.runs.markShared(other.rid, d.id);
        this.runs.addEvent(run.rid, 'warning', { message: `GPU ${d.uuid} is shared with run ${other.id}` });
        this.runs.addEvent(other.rid, 'warning', { message: `GPU ${d.uuid} is shared with run ${run.id}` });
      }
    }
    this.onChanged(this.runs.byId(run.id) as RunRow, source);
  }

  close(): void {
    this.discovering.clear();
    this.scheduler.clear(this.poll);
    this.poll = null;
  }
}
