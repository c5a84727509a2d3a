import { Command } from 'commander';
import type { DriftFigures } from '@sales-pipeline/analytics/reconcile';
import { workerCommand } from '../worker-command.ts';

/** The reporting role's URL: DATABASE_READER_URL (filled from a running native stack). */
async function readerUrl(): Promise<string> {
  const [{ z }, { databaseUrlSchema, parseConfig }, { envWithStackDefaults }] = await Promise.all([
    import('zod'),
    import('@sales-pipeline/platform/config'),
    import('../config.ts'),
  ]);
  const env = await envWithStackDefaults();
  return parseConfig(z.object({ DATABASE_READER_URL: databaseUrlSchema }), env).DATABASE_READER_URL;
}

/** `sales-pipeline analytics`: keep the aggregates fresh from the change stream, until stopped. */
export function analyticsCommand(): Command {
  const description =
    'apply Debezium change events to the aggregate tables, incrementally and exactly once (runs until stopped)';
  return workerCommand('analytics', description, () => import('@sales-pipeline/analytics'));
}

/** `sales-pipeline report [--json]`. */
export function reportCommand(): Command {
  return new Command('report')
    .description('total revenue, sales by product and by region, then by city, store and day')
    .option('--json', 'print one JSON object (money as exact decimal strings)')
    .action(async (options: { json?: boolean }) => {
      const { formatReport, readReport } = await import('@sales-pipeline/analytics/report');
      const report = await readReport(await readerUrl());
      process.stdout.write(
        options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`,
      );
    });
}

/** `sales-pipeline reconcile`: exits 1 when the incremental aggregates drifted from the base tables. */
export function reconcileCommand(): Command {
  return new Command('reconcile')
    .description('recompute every aggregate from the base tables and compare; exit code 1 on any difference')
    .action(async () => {
      const { reconcile } = await import('@sales-pipeline/analytics/reconcile');
      const drifts = await reconcile(await readerUrl());
      if (drifts.length === 0) {
        process.stdout.write(
          'reconcile: no drift — every aggregate equals its recomputation from the base tables\n',
        );
        return;
      }
      const figures = (f: DriftFigures) =>
        `units ${f.units}, revenue ${f.revenue}, sales ${f.sales}, returns ${f.returns}, returns revenue ${f.returnsRevenue}`;
      for (const d of drifts)
        process.stdout.write(
          `${d.aggregate} ${d.key}: expected ${figures(d.expected)}; found ${figures(d.actual)}\n`,
        );
      process.stdout.write(`reconcile: ${drifts.length} difference(s)\n`);
      process.exitCode = 1;
    });
}
