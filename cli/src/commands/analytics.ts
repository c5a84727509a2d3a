import { Command } from 'commander';
import type { DriftFigures } from '@sales-pipeline/analytics/reconcile';
import { ConfigError } from '@sales-pipeline/platform/errors';
import { positiveNumber } from '../options.ts';
import { workerCommand } from '../worker-command.ts';

/**
 * A database URL of the environment (filled from a running native stack): DATABASE_READER_URL, the
 * reporting role, or DATABASE_URL, the pipeline's role (a repair writes the aggregates).
 */
async function databaseUrl(name: 'DATABASE_READER_URL' | 'DATABASE_URL'): Promise<string> {
  const [{ z }, { databaseUrlSchema, parseConfig }, { envWithStackDefaults }] = await Promise.all([
    import('zod'),
    import('@sales-pipeline/platform/config'),
    import('../config.ts'),
  ]);
  const env = await envWithStackDefaults();
  return parseConfig(z.object({ [name]: databaseUrlSchema }), env)[name] as string;
}
const readerUrl = () => databaseUrl('DATABASE_READER_URL');

/** `sales-pipeline analytics`: keep the aggregates fresh from the change stream, until stopped. */
export function analyticsCommand(): Command {
  const description =
    'apply Debezium change events to the aggregate tables, incrementally and exactly once (runs until stopped)';
  return workerCommand('analytics', description, () => import('@sales-pipeline/analytics'));
}

/** `sales-pipeline report [--json]`. */
export function reportCommand(): Command {
  const report = new Command('report')
    .description('total revenue, sales by product and by region, then by city, store and day')
    // `report explain … --json`: the option after the subcommand is the subcommand's.
    .enablePositionalOptions()
    .option('--json', 'print one JSON object (money as exact decimal strings)')
    .action(async (options: { json?: boolean }) => {
      const { formatReport, readReport } = await import('@sales-pipeline/analytics/report');
      const result = await readReport(await readerUrl());
      process.stdout.write(
        options.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatReport(result)}\n`,
      );
    });
  report
    .command('explain')
    .argument('<dimension>', 'total, product, region, city, store or day')
    .argument('[key]', 'the product id, region, city, store id or day (YYYY-MM-DD); none for total')
    .description(
      'every sale, return and correction behind one figure, each down to its feed line (or HTTP source and id), ' +
        'feed version and Kafka position, with the sum of them all and whether it equals the figure',
    )
    .option('--json', 'print one JSON object')
    .option('--limit <n>', 'sales per page', positiveNumber('--limit'), 50)
    .option('--after <sale_id>', 'the page after this sale id (as `more: --after …` says)')
    .action(
      async (
        dimension: string,
        key: string | undefined,
        options: { json?: boolean; limit: number; after?: string },
      ) => {
        const { explain, formatExplanation, EXPLAIN_DIMENSIONS } =
          await import('@sales-pipeline/analytics/explain');
        if (!(EXPLAIN_DIMENSIONS as readonly string[]).includes(dimension))
          throw new ConfigError([
            `dimension must be one of ${EXPLAIN_DIMENSIONS.join(', ')}, not ${JSON.stringify(dimension)}`,
          ]);
        if (dimension !== 'total' && !key)
          throw new ConfigError([`give the ${dimension} to explain, e.g. report explain city Lyon`]);
        const explanation = await explain(
          await readerUrl(),
          dimension as (typeof EXPLAIN_DIMENSIONS)[number],
          key ?? '',
          { limit: options.limit, after: options.after },
        );
        process.stdout.write(
          options.json ? `${JSON.stringify(explanation, null, 2)}\n` : `${formatExplanation(explanation)}\n`,
        );
        if (!explanation.equal) process.exitCode = 1;
      },
    );
  return report;
}

/** `sales-pipeline reconcile --repair`: sets the drifted aggregate rows right, in one transaction, each fix printed. */
async function repair(): Promise<void> {
  const { repairAggregates } = await import('@sales-pipeline/analytics/repair-aggregates');
  const fixes = await repairAggregates(await databaseUrl('DATABASE_URL'));
  if (fixes.length === 0) {
    process.stdout.write(
      'reconcile --repair: nothing to repair — every aggregate equals what its sales add up to\n',
    );
    return;
  }
  for (const f of fixes)
    process.stdout.write(
      `repaired ${f.aggregate} ${f.key}: units ${f.stored.units} → ${f.recomputed.units}, revenue ${f.stored.revenue} → ${f.recomputed.revenue}, ` +
        `sales ${f.stored.sales} → ${f.recomputed.sales}, returns ${f.stored.returns} → ${f.recomputed.returns}, ` +
        `returns revenue ${f.stored.returnsRevenue} → ${f.recomputed.returnsRevenue}\n`,
    );
  process.stdout.write(
    `reconcile --repair: ${fixes.length} row(s) repaired in one transaction (kept in analytics.drifts)\n`,
  );
}

/** `sales-pipeline reconcile`: exits 1 when the incremental aggregates drifted from the base tables. */
export function reconcileCommand(): Command {
  return new Command('reconcile')
    .description('recompute every aggregate from the base tables and compare; exit code 1 on any difference')
    .option(
      '--repair',
      'set every aggregate row that differs from what its sales add up to right, in one transaction, and close the drifts the verifier reported',
    )
    .action(async (options: { repair?: boolean }) => {
      if (options.repair) return repair();
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
