import {
  applyExactlyOnce,
  chunkRuns,
  decodeChunkEvent,
  runPartitionWorker,
  withWorkerClients,
  Wakeup,
  type Logger,
  type ChunkEvent,
  type PoolClient,
  type WorkerEntry,
} from '@sales-pipeline/platform';
import { loadNotifierConfig, type NotifierConfig } from './config.ts';
import { DEFERRED_OFFSETS_FLUSH_MS, DeferredOffsets } from './deferred-offsets.ts';
import { detectMilestones, type Milestone } from './detect-milestones.ts';
import { bigSalesOfChunks, confirmBestDays, recordMilestones } from './milestone-store.ts';
import { toCents } from './money.ts';
import { notifierMetrics } from './notifier-metrics.ts';
import { postOutbox, type NotifierStatus } from './post-outbox.ts';
import { SlackSender } from './slack-sender.ts';

export type { NotifierStatus } from './post-outbox.ts';

/**
 * The notifier: records milestones from the change stream in the outbox (exactly once, offsets in
 * PostgreSQL), and posts them to Slack from the outbox, in order, each once. Runs until `stop` aborts.
 */
export async function notify(config: NotifierConfig, logger: Logger, stop: AbortSignal): Promise<void> {
  const prefix = config.CDC_TOPIC_PREFIX;
  const topics = [
    `${prefix}.analytics.revenue_total`,
    `${prefix}.analytics.by_product`,
    `${prefix}.analytics.by_store_day`,
    `${prefix}.public.sales`,
  ];
  // A backfill's chunks of sales (stored in bulk: their big sales are read from `sales`).
  const chunksTopic = `${prefix}.public.sale_chunks`;
  const setup = { service: 'notifier', config, logger, database: { url: config.DATABASE_URL, max: 3 } };
  return withWorkerClients(setup, async (clients) => {
    const { log, kafka, pool, registry, serveMetrics, waitForTopics } = clients;
    const metrics = notifierMetrics(registry);
    const status: NotifierStatus = { slack: config.SLACK_BOT_TOKEN ? 'ok' : 'dry_run' };
    const sender = config.SLACK_BOT_TOKEN
      ? new SlackSender(config.SLACK_BOT_TOKEN, config.SLACK_CHANNEL as string, log, config.SLACK_API_URL)
      : undefined;
    if (!sender)
      log.warn('SLACK_BOT_TOKEN is not set: dry run, milestones go to the log and are marked sent_dry');
    const halt = new AbortController();
    let sending: Promise<void> = Promise.resolve();
    // Wakes the send loop when milestones are recorded, rather than it reading the outbox every 200 ms.
    const outboxFilled = new Wakeup();
    let sendFailure: unknown;
    const deferred = new DeferredOffsets(pool, config.NOTIFIER_GROUP, log);
    const flushTimer = setInterval(() => void deferred.flush(), DEFERRED_OFFSETS_FLUSH_MS);
    flushTimer.unref();
    try {
      await serveMetrics({
        rate: { metric: 'notifier_milestones_recorded_total' },
        healthy: () => ({ ok: status.slack !== 'configuration_error', detail: status }),
      });
      // The send loop and the change stream stop together: when either fails, the other is stopped, the
      // loop gives its lock connection back (pool.end() waits for it), and the error ends the process so
      // that its supervisor restarts it rather than leaving a half-working notifier.
      stop.addEventListener('abort', () => halt.abort(), { once: true });
      sending = postOutbox({
        pool,
        sender,
        config,
        log,
        stop: halt.signal,
        status,
        metrics: metrics.outbox,
        outboxFilled,
      }).catch((error: unknown) => {
        sendFailure = error;
        log.error({ err: error }, 'the Slack send loop failed; stopping the notifier');
        halt.abort();
      });
      await waitForTopics(
        topics,
        (missing) =>
          log.info({ missing }, 'waiting for the change topics (Debezium creates them on the first change)'),
        halt.signal,
      );
      const chunks = await clients.createMissingChangeTopics([chunksTopic]);
      const threshold = toCents(config.rules.bigSaleEuros);
      /** Records what a run of one partition's change events brings; returns the offset after it. */
      const record = async (
        topic: string,
        partition: number,
        messages: Array<{ offset: string; value: Buffer | null }>,
      ): Promise<bigint> => {
        const after = BigInt((messages.at(-1) as { offset: string }).offset) + 1n;
        // Each change is read once; most batches can record nothing: no transaction for them, their
        // offset is stored later.
        const detected = messages.map((m): Detected =>
          topic === chunksTopic
            ? { offset: m.offset, milestones: [], chunk: decodeChunkEvent(m.value?.toString() ?? null) }
            : { offset: m.offset, ...detectMilestones(m.value?.toString() ?? null, config.rules) },
        );
        const maybeBig = (d: Detected) => d.chunk !== undefined && threshold > 0n;
        if (detected.every((d) => d.milestones.length === 0 && d.bestDay === undefined && !maybeBig(d))) {
          deferred.defer(topic, partition, after);
          return after;
        }
        const outcome = await applyExactlyOnce(
          pool,
          { group: config.NOTIFIER_GROUP, topic, partition },
          detected,
          (client, fresh) => recordDetected(client, fresh, threshold),
          { signal: halt.signal },
        );
        const recorded = outcome.result ?? [];
        if (recorded.length > 0) {
          outboxFilled.notify();
          const now = Date.now();
          for (const m of recorded)
            if (m.lineSeenAt !== undefined)
              metrics.lineToMilestone.observe(Math.max(0, now - m.lineSeenAt) / 1000);
          metrics.recorded.inc(recorded.length);
          log.info({ recorded: recorded.length }, 'milestones recorded');
        }
        return outcome.nextOffset ?? after;
      };
      await runPartitionWorker({
        kafka,
        pool,
        logger: log,
        group: config.NOTIFIER_GROUP,
        topics: [...topics, ...chunks],
        sessionTimeoutMs: config.NOTIFIER_SESSION_TIMEOUT_MS,
        stop: halt.signal,
        handleBatch: async (batch, { heartbeat }) => {
          // A fetch of chunk events can name a million sales: their big sales read a run at a time.
          let next: bigint | undefined;
          for (const messages of batch.topic === chunksTopic ? chunkRuns(batch.messages) : [batch.messages]) {
            next = await record(batch.topic, batch.partition, messages);
            await heartbeat();
            if (halt.signal.aborted) break;
          }
          return next;
        },
      });
      if (sendFailure !== undefined) throw sendFailure;
    } catch (error) {
      if (error !== sendFailure) log.error({ err: error }, 'the change stream failed; stopping the notifier');
      throw error;
    } finally {
      halt.abort();
      clearInterval(flushTimer);
      await deferred.flush();
      await sending;
    }
  });
}

/** What a change event brings: milestones, a best day to confirm, or a backfill's chunk to read. */
type Detected = ReturnType<typeof detectMilestones> & { offset: string; chunk?: ChunkEvent | undefined };

/**
 * Records in the outbox the milestones these changes reach (a best day only once confirmed against the
 * days before it), in the order they were detected; returns those recorded.
 */
async function recordDetected(
  client: PoolClient,
  changes: Detected[],
  bigSale: bigint,
): Promise<Milestone[]> {
  const records = await confirmBestDays(
    client,
    changes.flatMap((c) => (c.bestDay ? [c.bestDay] : [])),
  );
  let nextRecord = 0;
  const milestones: Milestone[] = [];
  for (const change of changes) {
    milestones.push(...change.milestones);
    if (change.bestDay) {
      const record = records[nextRecord++];
      if (record) milestones.push(record);
    }
  }
  // A run of chunk events (at most 10,000 sales, see chunkRuns): their big sales in one query, in order.
  const chunks = changes.flatMap((c) => (c.chunk ? [c.chunk] : []));
  milestones.push(...(await bigSalesOfChunks(client, chunks, bigSale)));
  return recordMilestones(client, milestones);
}

/** The notifier as `sales-pipeline notify` runs it. */
export const worker: WorkerEntry<NotifierConfig> = {
  service: 'notifier',
  loadConfig: loadNotifierConfig,
  run: notify,
};
