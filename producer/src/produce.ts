import {
  ensureTopics,
  pipelineTopics,
  pipelineTopicSpecs,
  withWorkerClients,
  type Logger,
} from '@sales-pipeline/platform';
import type { ProducerConfig } from './config.ts';
import { defaultFeedId, parseLocation } from './feed/feed-identity.ts';
import { FeedRunner } from './feed/feed-runner.ts';
import { feedSource } from './sources/index.ts';
import type { FeedKind } from './parse/header.ts';
import { FeedPublisher } from './publish/kafka-publisher.ts';
import { pacedPublisher, type PublishedStep } from './publish/paced-publisher.ts';
import { ProducerMetrics } from './producer-metrics.ts';
import { Progress, type FeedCounts } from './feed/progress.ts';

export interface ProduceOptions {
  /** Sales feed: a file path or an http(s) URL. */
  sales?: string | undefined;
  products?: string | undefined;
  stores?: string | undefined;
  /** Keep following the feeds; without it, publish what is there and return. */
  follow: boolean;
  /** Identity of the sales feed (part of every sale id). Default: the file name without extension. */
  salesFeedId?: string | undefined;
  /** Read a sales file as a snapshot: each change is a new version of the whole data (default: SALES_FEED_MODE). */
  snapshot?: boolean | undefined;
  /** Where to draw progress (a TTY), if anywhere. */
  tty?: NodeJS.WriteStream | undefined;
  /**
   * Awaited before each step of the sales feed is published: a backfill waits there while the pipeline
   * has too much in flight (see the CLI's backfill).
   */
  pace?: ((step: PublishedStep) => Promise<void>) | undefined;
  /**
   * Publish the sales feed's sales (those without an id of their own) in chunks of this many: history
   * loaded in bulk (see the CLI's backfill). Default: one message a sale.
   */
  chunkSales?: number | undefined;
}

export interface FeedResult extends FeedCounts {
  feed: string;
  kind: FeedKind;
}

/**
 * The producer: publishes each given feed exactly once, until `stop` aborts (with `follow`) or every
 * feed is published. Reference feeds (products, stores) run beside the sales feed.
 */
export async function produce(
  options: ProduceOptions,
  config: ProducerConfig,
  logger: Logger,
  stop: AbortSignal,
): Promise<FeedResult[]> {
  const feeds = (
    [
      ['products', options.products],
      ['stores', options.stores],
      ['sales', options.sales],
    ] as Array<[FeedKind, string | undefined]>
  ).flatMap(([kind, value]) => (value ? [{ kind, location: parseLocation(value) }] : []));
  if (feeds.length === 0) throw new Error('nothing to produce: give --sales, --products or --stores');

  const topics = pipelineTopics(config);
  const clients = { service: 'producer', config, logger };
  return withWorkerClients(clients, async ({ log, kafka, registry, serveMetrics }) => {
    const metrics = new ProducerMetrics(registry);
    const admin = kafka.admin();
    const publishers: FeedPublisher[] = [];
    try {
      await admin.connect();
      await ensureTopics(admin, [
        ...pipelineTopicSpecs(topics, config.SALES_TOPIC_PARTITIONS),
        { topic: config.FEED_STATE_TOPIC, partitions: 1, compacted: true },
      ]);
      const port = await serveMetrics({ rate: { metric: 'producer_lines_read_total' } });
      if (port !== undefined) log.info({ port }, 'metrics served on /metrics');
      return await runTogether(feeds, stop, async ({ kind, location }, stopFeed) => {
        const feed = kind === 'sales' && options.salesFeedId ? options.salesFeedId : defaultFeedId(location);
        const publisher = new FeedPublisher(kafka, admin, feed, topics[kind], config.FEED_STATE_TOPIC);
        publishers.push(publisher);
        await publisher.connect();
        const runner = new FeedRunner(
          feedSource(location),
          {
            kind,
            feed,
            location,
            follow: options.follow,
            topics,
            maxLineBytes: config.MAX_LINE_BYTES,
            readBytes: config.PRODUCER_READ_BYTES,
            filePollMs: config.FILE_POLL_INTERVAL_MS,
            lingerMs: config.PRODUCER_LINGER_MS,
            urlPollMs: config.URL_POLL_INTERVAL_MS,
            lastLineIdleMs: config.LAST_LINE_IDLE_MS,
            rotationSettleMs: config.ROTATION_SETTLE_MS,
            ids: { product: config.PRODUCT_ID_PATTERN, store: config.STORE_ID_PATTERN },
            rules: {
              quantityMax: config.QUANTITY_MAX,
              saleIdColumn: config.SALE_ID_COLUMN,
              statusColumn: config.SALE_STATUS_COLUMN,
              cancelledValues: config.SALE_CANCELLED_VALUES,
            },
            snapshot: kind === 'sales' && (options.snapshot ?? config.SALES_FEED_MODE === 'snapshot'),
            stateTopic: config.FEED_STATE_TOPIC,
            maxCancel: config.SNAPSHOT_MAX_CANCEL,
            chunkSales: kind === 'sales' ? options.chunkSales : undefined,
          },
          kind === 'sales' && options.pace
            ? pacedPublisher(publisher, topics.sales, options.pace)
            : publisher,
          log.child({ feed }),
          metrics,
          new Progress(feed, log, kind === 'sales' ? options.tty : undefined),
          stopFeed,
        );
        return { feed, kind, ...(await runner.run()) };
      });
    } finally {
      await Promise.allSettled(publishers.map((publisher) => publisher.disconnect()));
      await admin.disconnect().catch(() => undefined);
    }
  });
}

/**
 * Runs `run` for every item at once and returns their results in order. One that cannot go on (a wrong
 * header, an unreadable file) stops the others: the producer exits with its error, once they have all
 * ended, rather than running on with part of its feeds.
 */
async function runTogether<I, R>(
  items: I[],
  stop: AbortSignal,
  run: (item: I, stop: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const failed = new AbortController();
  const stopAll = AbortSignal.any([stop, failed.signal]);
  const settled = await Promise.allSettled(
    items.map(async (item) => {
      try {
        return await run(item, stopAll);
      } catch (error) {
        failed.abort();
        throw error;
      }
    }),
  );
  const failure = settled.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}
