import type { Logger } from 'pino';
import type { Clock, Scheduler, TimerHandle } from '../platform/clock.js';
import { budgetVerdict } from '../runs/budget.js';
import type { RunListener } from '../runs/lifecycle.js';
import type { MeteredEnergy } from '../runs/metered.js';
import type { RunRow, RunStore } from '../store/runs.js';

/**
 * Watches the running runs that carry a budget: after each new projection and every `everyMs` (for the measured
 * energy between epochs), it records the first moment the budget is exceeded and emits one `budget` event; the
 * client that wraps the command warns or stops it (the daemon itself never signals a command).
 */
export class BudgetWatch {
  private readonly timer: TimerHandle;

  constructor(
    private readonly runs: RunStore,
    private readonly metered: MeteredEnergy,
    private readonly emit: RunListener,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
    everyMs: number,
  ) {
    this.timer = scheduler.setInterval(() => this.checkAll(), everyMs);
  }

  /** The run listener: a new projection may settle the question at once. */
  readonly onRun: RunListener = (run, e) => {
    if (e.kind === 'projection') this.check(run.id);
  };

  checkAll(): void {
    for (const id of this.runs.runningIds({ budgeted: true })) this.check(id);
  }

  /**
   * A run that just ended, its energy sealed (before its status event): a short run can end above its budget before
   * any check saw it, and measured energy alone is enough then.
   */
  ended(id: string): void {
    const run = this.runs.byId(id);
    if (!run?.budget || run.budget.exceeded || !run.energy) return;
    const reason = budgetVerdict(run.budget, run.energy.totalJ, null, null);
    if (reason !== null) this.exceed(run, run.budget, `${reason} (at the end of the run)`);
  }

  private check(id: string): void {
    const run: RunRow | undefined = this.runs.byId(id);
    if (!run?.budget || run.budget.exceeded || run.status !== 'running') return;
    const m = this.metered.run(run, this.clock.now());
    // GPU + RAM, as the run's totalJ (CPU package energy is reported beside the total, not in it).
    const reason = budgetVerdict(run.budget, m.gpuJ + m.ramJ, run.analysis?.projection ?? null, run.analysis?.stabilization ?? null);
    if (reason !== null) this.exceed(run, run.budget, reason);
  }

  private exceed(run: RunRow, spec: NonNullable<RunRow['budget']>, reason: string): void {
    const now = this.clock.now();
    const budget = { ...spec, exceeded: true, at: now, reason };
    this.runs.update(run.rid, { budget });
    this.runs.addEvent(run.rid, 'budget', budget, now);
    this.log.warn({ run: run.id, action: budget.action }, `budget exceeded: ${reason}`);
    this.emit({ ...run, budget }, { kind: 'budget', data: { budget } });
  }

  close(): void {
    this.scheduler.clear(this.timer);
  }
}
