import { Command } from 'commander';
import { DEFAULT_DEMO_RATE, positiveNumber } from '../options.ts';
import type { UpOptions } from '../pipeline/run-up.ts';

/** `sales-pipeline up`, and the hidden `supervise` that a detached `up` leaves running. */
export function upCommands(): Command[] {
  const up = new Command('up')
    .description(
      'start the stack and the whole pipeline: consumer, analytics, notifier, and a producer per configured feed ' +
        '(SALES_FEED, PRODUCTS_FEED, STORES_FEED); Ctrl-C stops everything',
    )
    .option('--demo', "the client's reference data and a simulated live sales feed (no configuration needed)")
    .option('--docker', 'run the stack in containers (testcontainers) instead of native processes')
    .option(
      '--external',
      'no stack: run the workers (and dashboard, ingest) against an existing cluster, database and Connect named ' +
        'in the environment (KAFKA_BROKERS, DATABASE_URL, DATABASE_READER_URL, CONNECT_URL, their credentials)',
    )
    .option('--detach', 'return once everything is healthy; stop it later with: sales-pipeline down')
    .option(
      '--secure',
      'a new native stack, secured: the broker only takes SASL_SSL (SCRAM-SHA-512) with certificates of its own CA',
    )
    .option(
      '--ingest',
      'also run the HTTP ingest server (POST /v1/sales; on by itself when INGEST_TOKEN or INGEST_TOKENS_FILE is set)',
    )
    .option(
      '--rate <sales/s>',
      'with --demo: simulated sales per second',
      positiveNumber('--rate'),
      DEFAULT_DEMO_RATE,
    )
    .option(
      '--health-timeout <s>',
      'with --detach: how long to wait for every worker to be healthy',
      positiveNumber('--health-timeout'),
      120,
    )
    .action(async (options: UpOptions) => {
      const { runUp } = await import('../pipeline/run-up.ts');
      await runUp(options);
    });

  const superviseCommand = new Command('supervise')
    .description('(used by up --detach) run the workers until SIGTERM')
    .option('--demo')
    .option('--ingest')
    .option('--external')
    .option('--rate <sales/s>', '', positiveNumber('--rate'), DEFAULT_DEMO_RATE)
    .action(async (options: { demo?: boolean; ingest?: boolean; external?: boolean; rate: number }) => {
      const { runSupervise } = await import('../pipeline/run-up.ts');
      await runSupervise(options);
    });

  return [up, superviseCommand];
}
