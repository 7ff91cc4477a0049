import type { BudgetSpec } from '../runs/budget.js';
import type { BudgetJson } from '../runs/report.js';
import type { DaemonLink } from './daemon-link.js';

/**
 * What `profiler run --budget E --on-budget warn|stop` does when the daemon says the run exceeded its budget: one line
 * on stderr (even with --quiet: the user asked for it), and with `stop` SIGTERM to the command, SIGKILL after the grace.
 */
export class BudgetAction {
  /** The command was stopped for its budget: the run ends `failed`. */
  stopped = false;
  private killTimer: NodeJS.Timeout | null = null;

  constructor(private readonly spec: BudgetSpec, private readonly graceMs: number) {}

  /** Follows the run's budget; `signal` reaches the command while it runs (and does nothing once it exited). */
  arm(link: DaemonLink, signal: (sig: NodeJS.Signals) => void): void {
    link.watchBudget((b: BudgetJson) => {
      let line = `profiler: budget exceeded: ${b.reason ?? 'over the limit'}`;
      if (this.spec.action === 'stop') {
        line += `; stopping the command (SIGTERM, then SIGKILL after ${this.graceMs / 1000} s)`;
        this.stopped = true;
        signal('SIGTERM');
        this.killTimer = setTimeout(() => signal('SIGKILL'), this.graceMs);
        this.killTimer.unref();
      }
      process.stderr.write(`${line}\n`);
    });
  }

  disarm(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
  }
}
