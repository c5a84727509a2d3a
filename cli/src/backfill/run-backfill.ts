import fs from 'node:fs';
import {
  PipelineError,
  pipelineTopics,
  redactUrl,
  withWorkerClients,
  type Logger,
  type Pool,
  type WorkerClients,
} from '@sales-pipeline/platform';
import {
  clock,
  defaultFeedId,
  parseLocation,
  produce,
  type FeedResult,
  type ProducerConfig,
  type PublishedStep,
} from '@sales-pipeline/producer';
import {
  beat,
  closeBackfill,
  feedSales,
  openedBackfill,
  otherOpenBackfill,
  groupOffsets,
  openBackfill,
  saleThrough,
  salesNotAggregated,
  slotPassed,
  walPosition,
} from './backfill-store.ts';
import {
  InFlight,
  messagesBehind,
  waitForStages,
  type Offsets,
  type Stage,
  type StageReport,
} from './catch-up.ts';
import type { BackfillConfig } from './config.ts';
import { isTransientFailure, pipelineAwayError } from './transient-failure.ts';

export interface BackfillOptions {
  /** The history: a file path or an http(s) URL. */
  location: string;
  /** The feed's identity (part of every sale id); default: the file name. */
  feedId?: string | undefined;
  /** Where to draw progress (a TTY), if anywhere. */
  tty?: NodeJS.WriteStream | undefined;
}

export interface BackfillResult {
  feed: string;
  /** This run's publication (a resumed run counts what it published itself). */
  published: FeedResult;
  resumed: boolean;
  /** The feed's rows in `sales` once the pipeline had taken it in. */
  sales: number;
  /** Milestones crossed during the backfill, posted as one summary. */
  milestones: number;
  publishMs: number;
  catchUpMs: number;
}

/**
 * A backfill: opens it (the notifier holds the milestones it crosses), publishes the history through the
 * producer exactly once (a run that was stopped resumes from its checkpoint), waits until the pipeline
 * has taken it in — its rows in `sales` (the consumer past the topic's ends), the aggregates counting every
 * one of them, the notifier past their changes — then closes it: its milestones go out as one summary.
 * Returns undefined when `stop` aborted first (the backfill stays open; the same command resumes it).
 */
export async function runBackfill(
  options: BackfillOptions,
  config: { producer: ProducerConfig; wait: BackfillConfig },
  logger: Logger,
  stop: AbortSignal,
): Promise<BackfillResult | undefined> {
  const location = parseLocation(options.location);
  // Checked before anything is opened: an open backfill holds the milestones until it finishes.
  if (location.type === 'file') await readableHistory(location.path);
  const feed = options.feedId ?? defaultFeedId(location);
  checkFeedId(feed);
  const clients = {
    service: 'backfill',
    config: { ...config.wait, METRICS_PORT: undefined },
    logger: logger.child({ feed }),
    database: { url: config.wait.DATABASE_URL, max: 2 },
  };
  // The database or the brokers away: said as such, not as a stack trace (the backfill stays open if it was).
  const away = (error: unknown): never => {
    if (stop.aborted || !isTransientFailure(error)) throw error;
    throw pipelineAwayError(error, {
      databaseUrl: config.wait.DATABASE_URL,
      kafkaBrokers: config.wait.KAFKA_BROKERS.join(','),
    });
  };
  return withWorkerClients(clients, async ({ log, kafka, pool }) => {
    await refuseAnotherOpen(pool, feed);
    // Opened when its first step is about to be published (the source read, its header checked), or
    // already open: a run that was stopped is resumed. A history already published opens nothing.
    let opened = await openedBackfill(pool, feed);
    if (opened)
      log.info({ startedAt: opened.startedAt }, 'backfill resumed (it was stopped before it finished)');
    const open = async (): Promise<void> => {
      if (opened) return;
      opened = await openBackfill(pool, feed, redactUrl(options.location));
      log.info({ startedAt: opened.startedAt }, 'backfill opened');
    };
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ctx: WaitContext = {
        pool,
        admin,
        feed,
        since: () => opened?.startedAt,
        config: config.wait,
        log,
        tty: options.tty,
      };
      const gate = inFlightGate(ctx, stop);
      const started = Date.now();
      let published: FeedResult | undefined;
      try {
        [published] = await produce(
          {
            sales: options.location,
            salesFeedId: feed,
            follow: false,
            tty: options.tty,
            chunkSales: config.wait.BACKFILL_CHUNK_SALES,
            pace: async (step) => {
              await open();
              await gate(step);
            },
          },
          { ...config.producer, PRODUCER_READ_BYTES: config.wait.BACKFILL_READ_BYTES },
          logger,
          stop,
        );
      } catch (error) {
        // A backfill that cannot go on (a wrong header, a source gone) does not hold the live milestones:
        // closed, its summary says what went in; fixed, the same command goes on from its checkpoint. The
        // database or the brokers away for a while: it stays open (closed now and run again, it would post
        // two summaries).
        if (opened && !stop.aborted && !isTransientFailure(error)) {
          const closed = await closeBackfill(pool, feed).catch(() => undefined);
          log.warn(
            { ...closed },
            'the backfill failed: closed, the milestones it held are posted as its summary',
          );
        }
        throw error;
      }
      if (!published || stop.aborted) return undefined;
      const publishMs = Date.now() - started;
      const waited = Date.now();
      if (!(await waitForPipeline(ctx, stop))) return undefined;
      const closed = opened
        ? await closeBackfill(pool, feed)
        : { sales: await feedSales(pool, feed), milestones: 0 };
      log.info({ ...closed }, 'backfill finished: its milestones are posted as one summary');
      return {
        feed,
        published,
        resumed: opened?.resumed ?? false,
        ...closed,
        publishMs,
        catchUpMs: Date.now() - waited,
      };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }).catch(away);
}

/**
 * Closes an open backfill without publishing anything more (`backfill --abandon <feed>`): the milestones
 * it held are posted as its summary. Returns undefined when no backfill of that feed is open.
 */
export async function abandonBackfill(
  feed: string,
  config: BackfillConfig,
  logger: Logger,
): Promise<{ sales: number; milestones: number } | undefined> {
  const clients = {
    service: 'backfill',
    config: { ...config, METRICS_PORT: undefined },
    logger: logger.child({ feed }),
    database: { url: config.DATABASE_URL, max: 1 },
  };
  return withWorkerClients(clients, async ({ pool }) =>
    (await openedBackfill(pool, feed)) ? closeBackfill(pool, feed) : undefined,
  );
}

/** A feed id as the producer makes them: letters, digits, `.`, `_`, `-`. */
function checkFeedId(feed: string): void {
  if (/^[A-Za-z0-9._-]{1,100}$/.test(feed)) return;
  throw new PipelineError(`backfill: the feed id ${JSON.stringify(feed)} is not valid`, {
    code: 'BACKFILL_FEED_ID',
    hint: 'Give --feed-id 1 to 100 letters, digits, dots, underscores or hyphens (it is part of every sale id).',
  });
}

/** One backfill at a time: the milestones would not know which summary they belong to. */
async function refuseAnotherOpen(pool: Pool, feed: string): Promise<void> {
  const other = await otherOpenBackfill(pool, feed);
  if (!other) return;
  throw new PipelineError(
    `backfill: the backfill of ${other.feed} (started ${other.startedAt.toISOString()}) has not finished`,
    {
      code: 'BACKFILL_OPEN',
      hint: `Finish it first (run its backfill command again), or close it with: sales-pipeline backfill --abandon ${other.feed}`,
    },
  );
}

/** The history file can be read, or a {@link PipelineError} says why and what to do. */
async function readableHistory(file: string): Promise<void> {
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw new Error('not a file');
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (error) {
    throw new PipelineError(`backfill: cannot read ${file}: ${(error as Error).message}`, {
      code: 'BACKFILL_UNREADABLE',
      hint: 'Give the path of the history file (CSV in the sales feed format) or an http(s) URL.',
      cause: error,
    });
  }
}

/**
 * The backfill's pace: before each step, wait while more than BACKFILL_MAX_IN_FLIGHT history sales are
 * published but not through the pipeline (see {@link InFlight}). Live sales then queue behind that much
 * history at most, not behind the whole file.
 */
function inFlightGate(ctx: WaitContext, stop: AbortSignal): (step: PublishedStep) => Promise<void> {
  const { pool, config, log } = ctx;
  const inFlight = new InFlight(
    (saleId) => saleThrough(pool, saleId),
    config.BACKFILL_MAX_IN_FLIGHT,
    config.BACKFILL_POLL_MS,
    stop,
    (waitedMs, sales) =>
      log.warn(
        { waitedMs, inFlight: sales },
        'no history has gone through the pipeline for a while: are the consumer, Debezium and analytics running (sales-pipeline status)? ' +
          'The backfill waits for them (BACKFILL_MAX_IN_FLIGHT=0 publishes without waiting)',
      ),
  );
  return (step) => inFlight.before(step);
}

type Admin = ReturnType<WorkerClients['kafka']['admin']>;

interface WaitContext {
  pool: Pool;
  admin: Admin;
  feed: string;
  /** When the backfill opened (its rows were changed since), once it is. */
  since: () => Date | undefined;
  config: BackfillConfig;
  log: Logger;
  tty: NodeJS.WriteStream | undefined;
}

/** The topics' ends now; a topic that cannot be read has none. */
async function topicEnds(admin: Admin, topics: string[]): Promise<Offsets> {
  const all: Offsets = new Map();
  for (const topic of topics) {
    // An error is thrown, not taken for an empty topic: the wait reads the stage again.
    const offsets = await admin.fetchTopicOffsets(topic);
    all.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
  }
  return all;
}

/**
 * Waits, in turn, for the consumer (past the sales topic's ends as the producer finished), the
 * aggregates (every sale of the backfill counted as it is), Debezium (its slot past the WAL as the
 * aggregates caught up: their changes are in Kafka) and the notifier (past those changes' ends). No
 * notifier ever ran: not waited for. Returns false if `stop` aborted first.
 */
async function waitForPipeline(ctx: WaitContext, stop: AbortSignal): Promise<boolean> {
  const { pool, admin, feed, since, config, log, tty } = ctx;
  const salesTopic = pipelineTopics(config).sales;
  const notifierTopics = NOTIFIER_TABLES.map((t) => `${config.CDC_TOPIC_PREFIX}.${t}`);
  const salesEnds = await topicEnds(admin, [salesTopic]);
  let lsn: string | undefined;
  let notifierEnds: Offsets | undefined;
  const stages: Stage[] = [
    {
      name: 'the consumer (rows into sales)',
      unit: 'messages',
      hint: 'a partition whose last records belong to an aborted transaction (a producer killed mid-step) waits for the next sale to reach it',
      left: async () => messagesBehind(await groupOffsets(pool, config.CONSUMER_GROUP), salesEnds, true),
    },
    {
      name: 'the aggregates (Debezium, analytics)',
      unit: 'sales',
      left: async () => {
        const opened = since();
        return opened === undefined ? undefined : salesNotAggregated(pool, feed, opened);
      },
    },
    {
      name: "Debezium (the aggregates' changes)",
      unit: 'slot position',
      left: async () => {
        if (lsn === undefined) {
          lsn = await walPosition(pool);
          await beat(pool);
        }
        const passed = await slotPassed(pool, config.CDC_SLOT_NAME, lsn);
        return passed === undefined ? undefined : passed ? 0 : 1;
      },
    },
    {
      name: 'the notifier (milestones)',
      unit: 'changes',
      left: async () => {
        const stored = await groupOffsets(pool, config.NOTIFIER_GROUP);
        if (stored.size === 0) {
          log.warn(
            { group: config.NOTIFIER_GROUP },
            "no notifier has run on this pipeline (no offsets stored for NOTIFIER_GROUP): not waited for; the history's milestones are posted one by one (or in digests) when one starts, not as one summary",
          );
          return undefined;
        }
        if (notifierEnds === undefined) {
          // The backfill's chunks: their big sales are the notifier's too (their topic, once it exists).
          const existing = new Set(await admin.listTopics());
          notifierEnds = await topicEnds(
            admin,
            notifierTopics.filter((t) => !t.endsWith('.public.sale_chunks') || existing.has(t)),
          );
        }
        return messagesBehind(stored, notifierEnds, false);
      },
    },
  ];
  let lastLog = 0;
  const started = Date.now();
  const report = (stage: Stage, seen: StageReport) => {
    const what =
      'left' in seen
        ? `${seen.left.toLocaleString('en')} ${stage.unit} left`
        : `cannot tell now (${seen.error.message})`;
    const text = `waiting for ${stage.name}: ${what} (${clock((Date.now() - started) / 1000)})`;
    if (tty) tty.write(`\r${text}\u001b[K`);
    else if (Date.now() - lastLog >= 10_000) {
      lastLog = Date.now();
      log.info(
        {
          stage: stage.name,
          ...('left' in seen ? { left: String(seen.left) } : { error: seen.error.message }),
        },
        'waiting for the pipeline to take the backfill in',
      );
    }
  };
  const stalled = (stage: Stage, stalledMs: number) =>
    log.warn(
      { stage: stage.name, stalledMs, ...(stage.hint ? { hint: stage.hint } : {}) },
      `no progress of ${stage.name} for a while: is it running (sales-pipeline status)? The backfill waits for it (Ctrl-C stops the wait; the same command resumes it)`,
    );
  try {
    return await waitForStages(stages, report, stop, config.BACKFILL_POLL_MS, stalled);
  } finally {
    if (tty) tty.write('\r\u001b[K');
  }
}

/** The tables whose changes the notifier reads (see the notifier's topics). */
const NOTIFIER_TABLES = [
  'analytics.revenue_total',
  'analytics.by_product',
  'analytics.by_store_day',
  'public.sales',
  'public.sale_chunks',
];
