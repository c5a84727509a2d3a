import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, Histogram } from 'prom-client';
import {
  applyExactlyOnce,
  createKafka,
  createPool,
  createRegistry,
  runPartitionWorker,
  startMetricsServer,
  waitForTopics,
  withTransaction,
  type Logger,
  type MetricsServer,
  type Pool,
  type PoolClient,
} from '@sales-pipeline/platform';
import type { NotifierConfig } from './config.ts';
import { detectMilestones, type Milestone } from './detect-milestones.ts';
import { formatMilestone } from './format-milestone.ts';
import {
  claimNextPending,
  confirmBestDay,
  markFailed,
  markSent,
  recordMilestones,
  recordFailure,
  tryHoldSenderLock,
} from './milestone-store.ts';
import { SlackSender, classifySlackError } from './slack-sender.ts';

/** What /healthz and the logs say about Slack. */
export interface NotifierStatus {
  slack: 'ok' | 'dry_run' | 'configuration_error' | 'unavailable';
  lastError?: string;
  hint?: string;
}

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
  const posts = new Counter({
    name: 'notifier_slack_posts_total',
    help: 'Slack posts by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
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
  let sendFailure: unknown;
  try {
    if (config.METRICS_PORT !== undefined) {
      metricsServer = await startMetricsServer(registry, {
        port: config.METRICS_PORT,
        host: config.METRICS_HOST,
        healthy: () => ({ ok: status.slack !== 'configuration_error', detail: status }),
      });
    }
    // The send loop and the change stream stop together: when either fails, the other is stopped, the
    // loop gives its lock connection back (pool.end() waits for it), and the error ends the process so
    // that its supervisor restarts it rather than leaving a half-working notifier.
    stop.addEventListener('abort', () => halt.abort(), { once: true });
    sending = sendLoop(pool, sender, config, log, halt.signal, status, posts).catch((error: unknown) => {
      sendFailure = error;
      log.error({ err: error }, 'the Slack send loop failed; stopping the notifier');
      halt.abort();
    });
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
      maxWaitTimeInMs: 100,
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

/** Posts the outbox, oldest first, one at a time, at most one post per SLACK_MIN_INTERVAL_MS. */
async function sendLoop(
  pool: Pool,
  sender: SlackSender | undefined,
  config: NotifierConfig,
  log: Logger,
  stop: AbortSignal,
  status: NotifierStatus,
  posts: Counter<'outcome'>,
): Promise<void> {
  let lastPostAt = 0;
  let backoffMs = 1_000;
  const pause = (ms: number) => sleep(ms, undefined, { signal: stop }).catch(() => undefined);
  let lock: PoolClient | undefined;
  let lockLost = false;
  const releaseLock = () => {
    lock?.release(true);
    lock = undefined;
  };
  while (!stop.aborted) {
    // One sender at a time, holding a session lock on its own connection: if it dies, the lock goes
    // with its connection, and another notifier takes over at once.
    if (lockLost) {
      releaseLock();
      lockLost = false;
    }
    if (!lock) {
      try {
        const client = await pool.connect();
        client.on('error', () => {
          lockLost = true;
        });
        if (await tryHoldSenderLock(client)) {
          lock = client;
          log.info('holding the sender lock: this notifier posts the outbox');
        } else {
          client.release(true);
          await pause(2_000);
          continue;
        }
      } catch (error) {
        log.warn({ err: error }, 'could not take the sender lock; trying again');
        await pause(2_000);
        continue;
      }
    }
    let claimed;
    try {
      claimed = await withTransaction(pool, (client) => claimNextPending(client));
    } catch (error) {
      log.warn({ err: error }, 'could not read the outbox; trying again');
      await pause(1_000);
      continue;
    }
    if (!claimed) {
      await pause(200);
      continue;
    }
    const message = formatMilestone(
      claimed,
      {
        productName: (claimed.payload.product_name as string | null) ?? null,
        city: (claimed.payload.city as string | null) ?? null,
      },
      config.NOTIFIER_LANGUAGE,
    );
    const id = claimed.id;
    if (!sender) {
      log.info({ milestoneId: id, rule: claimed.rule, text: message.text }, 'dry run: milestone not posted');
      await withTransaction(pool, (client) => markSent(client, id, null, true));
      posts.inc({ outcome: 'dry_run' });
      continue;
    }
    try {
      if (claimed.attemptedAt) {
        const ts = await sender.findPosted(id, claimed.attemptedAt);
        if (ts) {
          await withTransaction(pool, (client) => markSent(client, id, ts, false));
          log.info(
            { milestoneId: id, ts },
            'milestone was already posted before a restart: recorded, not posted again',
          );
          continue;
        }
      }
      const wait = lastPostAt + config.SLACK_MIN_INTERVAL_MS - Date.now();
      if (wait > 0) await pause(wait);
      const ts = await sender.post(message, id);
      lastPostAt = Date.now();
      await withTransaction(pool, (client) => markSent(client, id, ts, false));
      posts.inc({ outcome: 'sent' });
      log.info({ milestoneId: id, rule: claimed.rule, ts }, 'milestone posted');
      status.slack = 'ok';
      delete status.lastError;
      delete status.hint;
      backoffMs = 1_000;
    } catch (error) {
      const failure = classifySlackError(error);
      posts.inc({ outcome: failure.kind });
      if (failure.kind === 'configuration') {
        Object.assign(status, { slack: 'configuration_error', lastError: failure.error, hint: failure.hint });
        log.error(
          { error: failure.error, hint: failure.hint },
          'Slack refuses the configuration; milestones wait in the outbox; checking again in 60 s',
        );
        await withTransaction(pool, (client) => recordFailure(client, id, failure.error, false)).catch(
          () => undefined,
        );
        await pause(60_000);
      } else if (failure.kind === 'transient') {
        Object.assign(status, { slack: 'unavailable', lastError: failure.error });
        log.warn(
          { error: failure.error, retryInMs: backoffMs },
          'Slack unavailable; the milestone stays first in line',
        );
        // The post may have gone through before the failure: the next try looks in the history first.
        await withTransaction(pool, (client) => recordFailure(client, id, failure.error, true)).catch(
          () => undefined,
        );
        await pause(backoffMs);
        backoffMs = Math.min(60_000, backoffMs * 2);
      } else {
        log.error({ milestoneId: id, error: failure.error }, 'Slack rejected this milestone; marked failed');
        await withTransaction(pool, (client) => markFailed(client, id, failure.error)).catch(() => undefined);
      }
    }
  }
  releaseLock();
}
