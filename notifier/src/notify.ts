import { Counter, Gauge, Histogram } from 'prom-client';
import {
  applyExactlyOnce,
  createKafka,
  createPool,
  createRegistry,
  runPartitionWorker,
  startMetricsServer,
  waitForTopics,
  Wakeup,
  type Logger,
  type MetricsServer,
} from '@sales-pipeline/platform';
import type { NotifierConfig } from './config.ts';
import { detectMilestones, type Milestone } from './detect-milestones.ts';
import { confirmBestDay, recordMilestones } from './milestone-store.ts';
import { postOutbox, type NotifierStatus, type OutboxMetrics } from './post-outbox.ts';
import { SlackSender } from './slack-sender.ts';

export type { NotifierStatus } from './post-outbox.ts';

/**
 * The notifier: records milestones from the change stream in the outbox (exactly once, offsets in
 * PostgreSQL), and posts them to Slack from the outbox, in order, each once. Runs until `stop` aborts.
 */
export async function notify(config: NotifierConfig, logger: Logger, stop: AbortSignal): Promise<void> {
  const log = logger.child({ module: 'notifier' });
  const prefix = config.CDC_TOPIC_PREFIX;
  const topics = [
    `${prefix}.analytics.revenue_total`,
    `${prefix}.analytics.by_product`,
    `${prefix}.analytics.by_store_day`,
    `${prefix}.public.sales`,
  ];
  const pool = createPool(config.DATABASE_URL, log, { max: 3, applicationName: 'sales-pipeline-notifier' });
  const kafka = createKafka({
    clientId: 'sales-pipeline-notifier',
    brokers: config.KAFKA_BROKERS,
    logger: log,
  });
  const registry = createRegistry('notifier');
  const detected = new Counter({
    name: 'notifier_milestones_recorded_total',
    help: 'Milestones recorded in the outbox',
    registers: [registry],
  });
  const outbox: OutboxMetrics = {
    posts: new Counter({
      name: 'notifier_slack_posts_total',
      help: 'Slack posts by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    sent: new Counter({
      name: 'notifier_milestones_sent_total',
      help: 'Milestones marked sent, by how: single (a message of its own), digest, dry_run',
      labelNames: ['via'],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'notifier_outbox_pending',
      help: 'Milestones in the outbox waiting to be posted (kept bounded by digests)',
      registers: [registry],
    }),
    oldestPendingSeconds: new Gauge({
      name: 'notifier_outbox_oldest_pending_seconds',
      help: 'Age of the oldest milestone waiting to be posted',
      registers: [registry],
    }),
  };
  const lineToMilestone = new Histogram({
    name: 'notifier_line_to_milestone_seconds',
    help: 'From the earliest feed line behind a milestone seen by the producer to the milestone recorded',
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const status: NotifierStatus = { slack: config.SLACK_BOT_TOKEN ? 'ok' : 'dry_run' };
  const sender = config.SLACK_BOT_TOKEN
    ? new SlackSender(config.SLACK_BOT_TOKEN, config.SLACK_CHANNEL as string, log, config.SLACK_API_URL)
    : undefined;
  if (!sender)
    log.warn('SLACK_BOT_TOKEN is not set: dry run, milestones go to the log and are marked sent_dry');
  let metricsServer: MetricsServer | undefined;
  const halt = new AbortController();
  let sending: Promise<void> = Promise.resolve();
  // Wakes the send loop when milestones are recorded, rather than it reading the outbox every 200 ms.
  const outboxFilled = new Wakeup();
  let sendFailure: unknown;
  try {
    if (config.METRICS_PORT !== undefined) {
      metricsServer = await startMetricsServer(registry, {
        port: config.METRICS_PORT,
        host: config.METRICS_HOST,
        rate: { metric: 'notifier_milestones_recorded_total' },
        healthy: () => ({ ok: status.slack !== 'configuration_error', detail: status }),
      });
    }
    // The send loop and the change stream stop together: when either fails, the other is stopped, the
    // loop gives its lock connection back (pool.end() waits for it), and the error ends the process so
    // that its supervisor restarts it rather than leaving a half-working notifier.
    stop.addEventListener('abort', () => halt.abort(), { once: true });
    sending = postOutbox(pool, sender, config, log, halt.signal, status, outbox, outboxFilled).catch(
      (error: unknown) => {
        sendFailure = error;
        log.error({ err: error }, 'the Slack send loop failed; stopping the notifier');
        halt.abort();
      },
    );
    const admin = kafka.admin();
    await admin.connect();
    await waitForTopics(
      admin,
      topics,
      (missing) =>
        log.info({ missing }, 'waiting for the change topics (Debezium creates them on the first change)'),
      halt.signal,
    ).finally(() => admin.disconnect());
    await runPartitionWorker({
      kafka,
      pool,
      logger: log,
      group: config.NOTIFIER_GROUP,
      topics,
      sessionTimeoutMs: config.NOTIFIER_SESSION_TIMEOUT_MS,
      stop: halt.signal,
      handleBatch: async (batch) => {
        const outcome = await applyExactlyOnce(
          pool,
          { group: config.NOTIFIER_GROUP, topic: batch.topic, partition: batch.partition },
          batch.messages,
          async (client, fresh) => {
            const milestones: Milestone[] = [];
            for (const message of fresh) {
              const found = detectMilestones(message.value?.toString() ?? null, config.rules);
              milestones.push(...found.milestones);
              if (found.bestDay) {
                const record = await confirmBestDay(client, found.bestDay);
                if (record) milestones.push(record);
              }
            }
            return recordMilestones(client, milestones);
          },
          { signal: halt.signal },
        );
        const recorded = outcome.result ?? [];
        if (recorded.length > 0) {
          outboxFilled.notify();
          const now = Date.now();
          for (const m of recorded)
            if (m.lineSeenAt !== undefined) lineToMilestone.observe(Math.max(0, now - m.lineSeenAt) / 1000);
          detected.inc(recorded.length);
          log.info({ recorded: recorded.length }, 'milestones recorded');
        }
        return outcome.nextOffset;
      },
    });
    if (sendFailure !== undefined) throw sendFailure;
  } catch (error) {
    if (error !== sendFailure) log.error({ err: error }, 'the change stream failed; stopping the notifier');
    throw error;
  } finally {
    halt.abort();
    await sending;
    await metricsServer?.close();
    await pool.end();
  }
}
