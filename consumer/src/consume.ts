import {
  pipelineTopics,
  runPartitionWorker,
  withWorkerClients,
  type Logger,
  type WorkerEntry,
} from '@sales-pipeline/platform';
import { applyBatch } from './apply-batch.ts';
import { loadConsumerConfig, type ConsumerConfig } from './config.ts';
import { ConsumerMetrics } from './consumer-metrics.ts';
import { PendingWatch } from './pending-watch.ts';
import { StaleFeedWatch } from './stale-feed-watch.ts';

/** Totals since start, for the command's summary. */
export interface ConsumeTotals {
  sales: number;
  references: number;
  pendingCompleted: number;
  rejected: number;
  skipped: number;
  batches: number;
}

/**
 * The consumer: applies the sales, products, stores and dead-letter topics to PostgreSQL exactly once,
 * until `stop` aborts. Each batch's transaction stores the partition's offset with the rows.
 */
export async function consume(
  config: ConsumerConfig,
  logger: Logger,
  stop: AbortSignal,
): Promise<ConsumeTotals> {
  const topics = pipelineTopics(config);
  const totals: ConsumeTotals = {
    sales: 0,
    references: 0,
    pendingCompleted: 0,
    rejected: 0,
    skipped: 0,
    batches: 0,
  };
  const setup = {
    service: 'consumer',
    config,
    logger,
    // One connection per partition in flight, and one for the seek on assignment.
    database: {
      url: config.DATABASE_URL,
      max: Math.max(config.DATABASE_POOL_SIZE, config.CONSUMER_CONCURRENCY + 1),
    },
  };
  return withWorkerClients(setup, async (clients) => {
    const { log, kafka, pool, registry, missingTopics } = clients;
    const metrics = new ConsumerMetrics(registry);
    const crashAfterCommit = config.CONSUMER_FAILPOINT
      ? Number(config.CONSUMER_FAILPOINT.split(':')[1])
      : undefined;
    let commits = 0;
    const pending = new PendingWatch(pool, config.PENDING_ALERT_AFTER, registry, log);
    const staleFeeds = new StaleFeedWatch(
      pool,
      config.stale.policyOf,
      Math.min(30_000, Math.max(1_000, Math.floor(config.stale.shortestMs / 4))),
      registry,
      log,
    );
    try {
      await pending.start();
      staleFeeds.start();
      const port = await clients.serveMetrics({
        rate: { metric: 'consumer_rows_applied_total', labels: { kind: 'sale' } },
        healthy: () => {
          const waitingForTopics = missingTopics();
          return {
            ok: true,
            detail: {
              ...pending.health(),
              warnings: [...pending.health().warnings, ...staleFeeds.warnings()],
              ...(waitingForTopics.length > 0 ? { waitingForTopics } : {}),
            },
          };
        },
      });
      if (port !== undefined) log.info({ port }, 'metrics served on /metrics');
      // The producer creates the topics, with the partitions it is configured with (SALES_TOPIC_PARTITIONS):
      // the consumer never does, so that no race with a default of its own decides their shape.
      await clients.waitForTopics(
        [topics.products, topics.stores, topics.sales, topics.deadLetter],
        (missing, changed) => {
          if (changed)
            log.warn({ missing }, 'waiting for the topics: the producer creates them when it starts');
        },
        stop,
      );
      if (stop.aborted) return totals;
      await runPartitionWorker({
        kafka,
        pool,
        logger: log,
        group: config.CONSUMER_GROUP,
        topics: [topics.products, topics.stores, topics.sales, topics.deadLetter],
        sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
        maxBytesPerPartition: config.CONSUMER_MAX_BYTES_PER_PARTITION,
        maxWaitTimeInMs: config.CONSUMER_MAX_WAIT_MS,
        partitionsConsumedConcurrently: config.CONSUMER_CONCURRENCY,
        stop,
        handleBatch: async (batch) => {
          const started = process.hrtime.bigint();
          const result = await applyBatch(pool, {
            group: config.CONSUMER_GROUP,
            topics,
            topic: batch.topic,
            partition: batch.partition,
            messages: batch.messages,
            signal: stop,
            onRetry: (error, attempt, delayMs) => {
              metrics.retries.inc();
              log.warn(
                { err: error, attempt, delayMs, topic: batch.topic, partition: batch.partition },
                'database unavailable; retrying the batch',
              );
            },
          });
          staleFeeds.grew(result.growth);
          if (crashAfterCommit !== undefined && ++commits >= crashAfterCommit)
            process.kill(process.pid, 'SIGKILL');
          const now = Date.now();
          for (const seenAt of result.seenAt)
            metrics.lineToRowSeconds.observe(Math.max(0, now - seenAt) / 1000);
          metrics.batchSize.observe(batch.messages.length);
          metrics.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
          metrics.rowsApplied.inc({ kind: 'sale' }, result.salesInserted);
          metrics.rowsApplied.inc({ kind: 'sale_changed' }, result.salesChanged);
          metrics.rowsApplied.inc({ kind: 'reference' }, result.referencesUpserted);
          metrics.rowsApplied.inc({ kind: 'pending_completed' }, result.pendingCompleted);
          metrics.rowsApplied.inc({ kind: 'rejected' }, result.rejected);
          metrics.rowsApplied.inc({ kind: 'skipped' }, result.skipped);
          totals.sales += result.salesInserted + result.salesChanged;
          totals.references += result.referencesUpserted;
          totals.pendingCompleted += result.pendingCompleted;
          totals.rejected += result.rejected;
          totals.skipped += result.skipped;
          totals.batches++;
          return result.nextOffset;
        },
        afterBatch: (batch, next) =>
          metrics.lag.set(
            { topic: batch.topic, partition: String(batch.partition) },
            Math.max(0, Number(BigInt(batch.highWatermark) - next)),
          ),
      });
      return totals;
    } finally {
      pending.stop();
      await staleFeeds.stop();
    }
  });
}

/** The consumer as `sales-pipeline consume` runs it: its totals are logged when it stops. */
export const worker: WorkerEntry<ConsumerConfig> = {
  service: 'consumer',
  loadConfig: loadConsumerConfig,
  run: async (config, logger, stop) => {
    const totals = await consume(config, logger, stop);
    logger.info({ ...totals }, 'consumer stopped');
  },
};
