import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import {
  REPO_ROOT,
  loadStackConfig,
  lowerNativeStackPriority,
  type RunningStack,
} from '@sales-pipeline/stack';
import { FakeSlack } from '../../test-support/fake-slack.ts';
import { adminClient, until } from '../bench-stack.ts';
import { milestonesRecorded, trackMilestoneInserts } from './commit-stamps.ts';
import { FeedAppender } from './feed-appender.ts';
import { tempDir, writeReferenceFiles } from './feed.ts';
import { waitForGroup } from './part.ts';
import { downstreamNice, startWorker, whileAlive, workerEnv, type Worker } from './workers.ts';

const GROUPS = ['sales-pipeline.consumer', 'sales-pipeline.analytics', 'sales-pipeline.notifier'];

/**
 * The whole pipeline under a load the bench drives (latency and cost parts): the four workers as child
 * processes — producer `--follow` on a feed this bench appends to, consumer, analytics, notifier against
 * a fake Slack with `stepSeries: 'multiples'` rules — and the bench-only record of milestone inserts.
 */
export interface LivePipeline {
  /** A superuser connection to the stack's database. */
  readonly db: pg.Client;
  readonly slack: FakeSlack;
  readonly workers: Worker[];
  readonly feed: FeedAppender;
  /** `promise`, or a failure with a worker's output when one exits before it settles. */
  whileAlive<T>(promise: Promise<T>): Promise<T>;
  /** Rows in `analytics.sale_facts`: the sales whose aggregates are committed. */
  aggregatedSales(): Promise<number>;
  // The waits below do not watch the workers: run them inside `whileAlive`.
  /** Waits until every worker has joined its group and `rows` sales went all the way to the aggregates. */
  waitUntilFlowing(rows: number, what: string): Promise<void>;
  /**
   * Waits until `rows` sales are aggregated, then up to 60 s for `milestones` milestones (a shortfall is
   * printed, not thrown: the figures say how many were recorded).
   */
  waitForEverySale(rows: number, milestones: number): Promise<void>;
  /** Stops the workers; the peak memory of each (`<worker>PeakMb`). */
  stopWorkers(): Promise<Record<string, number>>;
  /** Stops the workers and the fake Slack, closes the connection, removes the feed. */
  close(): Promise<void>;
}

export async function startLivePipeline(
  stack: RunningStack,
  part: string,
  options: { rows: number; revenueStepEuros: number; productUnitsStep: number },
): Promise<LivePipeline> {
  const dir = tempDir(part);
  const refs = writeReferenceFiles(dir);
  const feedFile = path.join(dir, 'bench.csv');
  const feed = new FeedAppender(feedFile, options.rows);
  const rulesFile = path.join(dir, 'rules.json');
  fs.writeFileSync(
    rulesFile,
    JSON.stringify({
      stepSeries: 'multiples', // one milestone per step (the default 1-2-5 series fires a handful)
      revenueStepEuros: options.revenueStepEuros,
      productUnitsStep: options.productUnitsStep,
      bigSaleEuros: 0,
      storeBestDay: false,
    }),
  );
  const slack = new FakeSlack();
  const slackUrl = await slack.start();
  const db = await adminClient(stack);
  await trackMilestoneInserts(db);

  // DOWNSTREAM_NICE, as `up` applies it to a native stack: Connect and PostgreSQL at that niceness.
  const nice = downstreamNice();
  if (nice > 0)
    lowerNativeStackPriority(
      loadStackConfig({
        ...process.env,
        SALES_PIPELINE_HOME: path.join(REPO_ROOT, '.stack', `bench-${part}`),
      }),
      nice,
    );
  const env = workerEnv(stack);
  const workers = [
    startWorker(
      'producer',
      ['produce', '--follow', '--sales', feedFile, '--products', refs.products, '--stores', refs.stores],
      env,
    ),
    startWorker('consumer', ['consume'], env),
    startWorker('analytics', ['analytics'], env),
    startWorker('notifier', ['notify'], {
      ...env,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_CHANNEL: slack.channel,
      SLACK_API_URL: slackUrl,
      MILESTONE_RULES_FILE: rulesFile,
    }),
  ];
  const stopWorkers = () => Promise.all(workers.map((w) => w.stop()));
  const aggregatedSales = async () =>
    Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM analytics.sale_facts')).rows[0]?.n ?? 0);

  return {
    db,
    slack,
    workers,
    feed,
    whileAlive: (promise) => whileAlive(workers, promise),
    aggregatedSales,
    async waitUntilFlowing(rows, what) {
      for (const group of GROUPS) await waitForGroup(stack, group);
      await until(
        what,
        async (saw) => {
          const n = await aggregatedSales();
          saw(`${n} rows in analytics.sale_facts`);
          return n >= rows ? true : undefined;
        },
        { timeoutMs: 300_000, stallMs: 180_000 },
      );
    },
    async waitForEverySale(rows, milestones) {
      await until(
        'every sale in the aggregates',
        async (saw) => {
          const n = await aggregatedSales();
          saw(`${n} of ${rows} rows in analytics.sale_facts`);
          return n >= rows ? true : undefined;
        },
        { intervalMs: 250, timeoutMs: 300_000 },
      );
      await until(
        'every milestone',
        async (saw) => {
          const n = await milestonesRecorded(db);
          saw(`${n} of ${milestones} milestones`);
          return n >= milestones ? true : undefined;
        },
        { intervalMs: 250, timeoutMs: 60_000 },
      ).catch((error: unknown) =>
        process.stdout.write(`${part}: ${error instanceof Error ? error.message : String(error)}\n`),
      );
    },
    async stopWorkers() {
      await stopWorkers();
      return Object.fromEntries(workers.map((w) => [`${w.name}PeakMb`, w.peakMb()]));
    },
    async close() {
      await stopWorkers();
      feed.close();
      await slack.stop();
      await db.end();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
