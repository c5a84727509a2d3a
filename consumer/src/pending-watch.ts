import { Gauge, type Registry } from 'prom-client';
import { withClient, type Logger, type Pool } from '@sales-pipeline/platform';
import { overdueWarning, readOverduePending, type OverduePending } from './overdue-pending.ts';

/**
 * Watches the sales pending for longer than PENDING_ALERT_AFTER, so that none waits silently: reads them
 * every so often, exports them as metrics and keeps the warning for /healthz.
 */
export class PendingWatch {
  private readonly overdue: Gauge;
  private readonly oldestAge: Gauge;
  private latest: OverduePending | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly afterMs: number,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.overdue = new Gauge({
      name: 'consumer_pending_sales_overdue',
      help: 'Sales pending (product or store unknown) for longer than PENDING_ALERT_AFTER',
      registers: [registry],
    });
    this.oldestAge = new Gauge({
      name: 'consumer_pending_sales_overdue_oldest_age_seconds',
      help: 'Age of the oldest sale pending for longer than PENDING_ALERT_AFTER (0 when none)',
      registers: [registry],
    });
  }

  /** Reads now, then every quarter of the threshold (between 1 s and 30 s). */
  async start(): Promise<void> {
    await this.refresh();
    const every = Math.min(30_000, Math.max(1_000, Math.floor(this.afterMs / 4)));
    this.timer = setInterval(() => void this.refresh(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** What /healthz adds to its body: the count and the warning (a warning: the consumer stays healthy). */
  health(): { pendingOverdue: number | null; warnings: string[] } {
    const warning = this.latest && overdueWarning(this.latest, this.afterMs);
    return { pendingOverdue: this.latest?.count ?? null, warnings: warning ? [warning] : [] };
  }

  private async refresh(): Promise<void> {
    try {
      const overdue = await withClient(this.pool, (client) => readOverduePending(client, this.afterMs));
      const warning = overdueWarning(overdue, this.afterMs);
      if (warning && overdue.count !== this.latest?.count) this.logger.warn({ ...overdue }, warning);
      this.latest = overdue;
      this.overdue.set(overdue.count);
      this.oldestAge.set(overdue.oldestSince ? (Date.now() - overdue.oldestSince.getTime()) / 1000 : 0);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read the pending sales; trying again');
    }
  }
}
