import { Counter, Gauge, type Registry } from 'prom-client';
import { PeriodicTask, type Logger, type Pool } from '@sales-pipeline/platform';
import { verifyOnce, type CheckOptions, type Verification } from './verify-aggregates.ts';

/**
 * Checks the aggregates against the sales every `intervalMs` (see {@link verifyOnce}), exports the result as
 * metrics and keeps the latest for /healthz. A check that fails (the database away) is logged and tried
 * again at the next tick; it never stops the worker.
 */
export class Verifier {
  private readonly verifiedThrough: Gauge;
  private readonly lag: Gauge;
  private readonly driftRows: Gauge;
  private readonly checks: Counter;
  private latest: Verification | undefined;
  private readonly task: PeriodicTask;
  private reportedDrift = 0;

  constructor(
    private readonly pool: Pool,
    private readonly options: CheckOptions & { intervalMs: number },
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.verifiedThrough = new Gauge({
      name: 'analytics_verified_through_timestamp_seconds',
      help: 'Commit time up to which the aggregates are verified against the sales (unix seconds)',
      registers: [registry],
    });
    this.lag = new Gauge({
      name: 'analytics_verification_lag_seconds',
      help: 'How far verified_through is behind the last check',
      registers: [registry],
    });
    this.driftRows = new Gauge({
      name: 'analytics_drift_rows',
      help: 'Aggregate rows that do not equal what the sales add up to, until reconcile --repair',
      registers: [registry],
    });
    this.checks = new Counter({
      name: 'analytics_verification_checks_total',
      help: 'Verification checks, by outcome (ok, drift, error)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.task = new PeriodicTask(
      () => this.check(),
      options.intervalMs,
      (error) => logger.warn({ err: error }, 'the verification failed; trying again'),
    );
  }

  start(): void {
    this.task.start();
  }

  /** Stops the ticks and waits for a check in progress (ordered shutdown: before the pool ends). */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** What /healthz adds to its body. */
  health(): { verification: Verification | null } {
    return { verification: this.latest ?? null };
  }

  private async check(): Promise<void> {
    try {
      const result = await verifyOnce(this.pool, this.options);
      this.latest = result;
      this.checks.inc({ outcome: result.drift.length > 0 ? 'drift' : 'ok' });
      this.driftRows.set(result.drift.length);
      if (result.verified_through && result.checked_at) {
        const through = Date.parse(result.verified_through);
        this.verifiedThrough.set(through / 1000);
        this.lag.set(Math.max(0, Date.parse(result.checked_at) - through) / 1000);
      }
      if (result.drift.length > this.reportedDrift)
        for (const d of result.drift.slice(this.reportedDrift))
          this.logger.error(
            { aggregate: d.aggregate, key: d.key, stored: d.stored, recomputed: d.recomputed },
            `drift: ${d.aggregate} ${d.key} holds revenue ${d.stored.revenue}, the sales add up to ${d.recomputed.revenue}; ` +
              'fix it with: sales-pipeline reconcile --repair',
          );
      this.reportedDrift = result.drift.length;
    } catch (error) {
      this.checks.inc({ outcome: 'error' });
      this.logger.warn({ err: error }, 'could not verify the aggregates; trying again at the next check');
    }
  }
}
