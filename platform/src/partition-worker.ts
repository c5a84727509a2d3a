import type { Batch, Kafka } from 'kafkajs';
import { KafkaOffsetMirror } from './kafka-offset-mirror.ts';
import type { Pool } from 'pg';
import { withClient } from './db.ts';
import type { Logger } from './logger.ts';
import { storedOffsets } from './pg-offsets.ts';

export interface PartitionWorkerOptions {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  /** Consumer group: also the key of the offsets stored in PostgreSQL. */
  group: string;
  topics: string[];
  sessionTimeoutMs: number;
  maxBytesPerPartition?: number;
  /**
   * How long a fetch waits at the broker when there is nothing new (default 1000 ms). Data that arrives
   * meanwhile answers the fetch at once, so this costs no latency; a short wait only costs idle CPU on
   * both sides (a fetch round trip every few milliseconds for nothing).
   */
  maxWaitTimeInMs?: number;
  /**
   * Partitions handled at the same time: while one batch waits on the database, another is decoded.
   * Each batch has its own transaction; the pool needs at least this many connections. Default 1.
   */
  partitionsConsumedConcurrently?: number;
  stop: AbortSignal;
  /**
   * Applies one partition's batch in one database transaction that also stores the offset to resume
   * from, and returns that offset (undefined when the batch changed nothing).
   */
  handleBatch: (batch: Batch, kafka: { heartbeat: () => Promise<void> }) => Promise<bigint | undefined>;
  /** Called after each handled batch (metrics), with the offset resumed from and the batch. */
  afterBatch?: (batch: Batch, nextOffset: bigint) => void;
  /** How often the handled offsets are committed to Kafka (informational); default {@link KAFKA_COMMIT_INTERVAL_MS}. */
  kafkaCommitIntervalMs?: number;
}

/** How often the offsets are also committed to Kafka, where they are only informational. */
export const KAFKA_COMMIT_INTERVAL_MS = 5_000;

/**
 * Runs a Kafka consumer whose offsets live in PostgreSQL, written by `handleBatch` with the rows. On
 * every partition assignment it seeks to the stored offsets. The offsets are also committed to Kafka,
 * every few seconds rather than after each batch (a broker write and a round trip each time), only so
 * that lag shows in Kafka tools: nothing resumes from them (see {@link KafkaOffsetMirror}). Returns when
 * `stop` aborts (after the batch in progress), or throws when kafkajs gives up — so that a supervisor
 * restarts the worker instead of it sitting idle.
 */
export async function runPartitionWorker(options: PartitionWorkerOptions): Promise<void> {
  const { kafka, pool, logger: log, group, stop } = options;
  const consumer = kafka.consumer({
    groupId: group,
    readUncommitted: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3)),
    ...(options.maxBytesPerPartition
      ? { maxBytesPerPartition: options.maxBytesPerPartition, maxBytes: options.maxBytesPerPartition * 4 }
      : {}),
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 1_000,
  });
  let crashed: Error | undefined;
  let giveUp: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    giveUp = resolve;
    if (stop.aborted) resolve();
    stop.addEventListener('abort', () => resolve(), { once: true });
  });

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    void withClient(pool, async (client) => {
      const stored = await storedOffsets(client, group);
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const offset = stored.find((s) => s.topic === topic && s.partition === partition)?.nextOffset;
          if (offset !== undefined) consumer.seek({ topic, partition, offset });
        }
      }
      log.info(
        { assignment: payload.memberAssignment },
        'partitions assigned; resuming from the offsets stored in PostgreSQL',
      );
    }).catch((error: unknown) =>
      log.warn(
        { err: error },
        'could not seek to the stored offsets; the stored offsets still filter replays',
      ),
    );
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    log.error({ err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
    if (!payload.restart) {
      crashed = payload.error;
      giveUp();
    }
  });

  const mirror = new KafkaOffsetMirror(consumer, log);
  consumer.on(consumer.events.GROUP_JOIN, () => mirror.forgetAll());
  const timer = setInterval(
    () => void mirror.commit(),
    options.kafkaCommitIntervalMs ?? KAFKA_COMMIT_INTERVAL_MS,
  );
  timer.unref();

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      // Not kafkajs's auto-commit: kafkajs 2.2.4 commits after every batch whatever autoCommitInterval
      // says (Runner.handleBatch), an OffsetCommit round trip and a __consumer_offsets record per batch.
      // The mirror commits every KAFKA_COMMIT_INTERVAL_MS instead; the stored offsets are the truth.
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const next = (await options.handleBatch(batch, { heartbeat })) ?? BigInt(batch.lastOffset()) + 1n;
        options.afterBatch?.(batch, next);
        // Where kafkajs fetches from next (resolved, not committed, offsets).
        resolveOffset((next - 1n).toString());
        mirror.handled(batch.topic, batch.partition, next);
        await heartbeat();
      },
    });
    await stopped;
    if (crashed) throw crashed;
  } finally {
    clearInterval(timer);
    // Ordered shutdown: the last handled offsets go to Kafka (for the lag shown there), then stop
    // fetching and let the batch in progress finish (its transaction commits or rolls back as a whole),
    // then leave the group.
    await mirror.commit();
    await consumer
      .disconnect()
      .catch((error: unknown) => log.warn({ err: error }, 'consumer disconnect failed'));
  }
}
