import { setTimeout as sleep } from 'node:timers/promises';
import type { Counter, Gauge } from 'prom-client';
import {
  retry,
  withTransaction,
  type Logger,
  type Pool,
  type PoolClient,
  type RetryPolicy,
  Wakeup,
} from '@sales-pipeline/platform';
import type { NotifierConfig } from './config.ts';
import type { Milestone } from './detect-milestones.ts';
import { formatDigest } from './format-digest.ts';
import { formatMilestone, type SlackMessage } from './format-milestone.ts';
import {
  claimNextPost,
  markFailed,
  markSent,
  outboxBacklog,
  recordFailure,
  tryHoldSenderLock,
  type ClaimedPost,
} from './milestone-store.ts';
import { nextPost, type LastPost, type Pacing } from './pace-posts.ts';
import { classifySlackError, type SlackSender } from './slack-sender.ts';

/** What /healthz and the logs say about Slack. */
export interface NotifierStatus {
  slack: 'ok' | 'dry_run' | 'configuration_error' | 'unavailable';
  lastError?: string;
  hint?: string;
}

export interface OutboxMetrics {
  /** Slack calls by outcome. */
  posts: Counter<'outcome'>;
  /** Milestones marked sent, by how: `single`, `digest`, `dry_run`. */
  sent: Counter<'via'>;
  /** Milestones waiting to be posted. */
  pending: Gauge;
  /** Age of the oldest milestone waiting, seconds. */
  oldestPendingSeconds: Gauge;
}

/** Slack down or unreachable: try again, waiting longer each time, for as long as it takes. */
const SLACK_OUTAGE: RetryPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxAttempts: Number.POSITIVE_INFINITY,
};

/** A milestone's message alone, with the names it was recorded with. */
function messageOfOne(m: Milestone, config: NotifierConfig): SlackMessage {
  const context = {
    productName: (m.payload.product_name as string | null) ?? null,
    city: (m.payload.city as string | null) ?? null,
  };
  return formatMilestone(m, context, config.NOTIFIER_LANGUAGE);
}

/** How long an idle send loop sleeps before it reads the outbox again, unless woken sooner. */
const IDLE_RECHECK_MS = 5_000;

/** The message for a claimed post: the milestone's own, or a digest of them. */
function messageOf(claim: ClaimedPost, config: NotifierConfig): SlackMessage {
  const [only, ...others] = claim.milestones;
  if (only && others.length === 0) return messageOfOne(only, config);
  return formatDigest(claim.milestones, config.NOTIFIER_LANGUAGE);
}

/**
 * Posts the outbox, oldest first, paced by {@link nextPost}: a message per milestone while the channel
 * keeps up, one digest for many when it cannot. Each milestone is posted once: its post is claimed in the
 * outbox before it is sent, and a claim left unfinished (a crash, an outage) is looked up in the channel's
 * history before it is posted again, with the same milestones. Runs until `stop` aborts.
 */
export async function postOutbox(
  pool: Pool,
  sender: SlackSender | undefined,
  config: NotifierConfig,
  log: Logger,
  stop: AbortSignal,
  status: NotifierStatus,
  metrics: OutboxMetrics,
  outboxFilled: Wakeup = new Wakeup(),
): Promise<void> {
  const pacing: Pacing = {
    minIntervalMs: config.SLACK_MIN_INTERVAL_MS,
    digestAfter: config.NOTIFIER_DIGEST_AFTER,
    digestMax: config.NOTIFIER_DIGEST_MAX,
    digestIntervalMs: config.NOTIFIER_DIGEST_INTERVAL_MS,
  };
  let last: LastPost | undefined;
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
    let claim: ClaimedPost | undefined;
    try {
      const backlog = await withTransaction(pool, (client) => outboxBacklog(client));
      metrics.pending.set(backlog.pending);
      metrics.oldestPendingSeconds.set(
        backlog.oldest ? Math.max(0, Date.now() - backlog.oldest.getTime()) / 1000 : 0,
      );
      const plan = sender
        ? nextPost(backlog.pending, last, pacing, Date.now())
        : backlog.pending > 0
          ? { waitMs: 0, limit: pacing.digestMax }
          : undefined;
      if (!plan) {
        // Nothing to post: sleep until this process records a milestone, or a few seconds (another
        // notifier may record some; the backlog gauge stays fresh).
        await outboxFilled.wait(IDLE_RECHECK_MS, stop);
        continue;
      }
      if (plan.waitMs > 0) {
        // Paced: look again soon, the backlog may outgrow a digest meanwhile.
        await pause(Math.min(plan.waitMs, 1_000));
        continue;
      }
      claim = await withTransaction(pool, (client) => claimNextPost(client, plan.limit));
    } catch (error) {
      log.warn({ err: error }, 'could not read the outbox; trying again');
      await pause(1_000);
      continue;
    }
    if (!claim) continue;
    const ids = claim.milestones.map((m) => m.id);
    if (!sender) {
      for (const m of claim.milestones)
        log.info(
          { milestoneId: m.id, rule: m.rule, text: messageOfOne(m, config).text },
          'dry run: milestone not posted',
        );
      await withTransaction(pool, (client) => markSent(client, ids, null, true)).catch((error: unknown) =>
        log.warn({ err: error }, 'could not record the dry run; trying again'),
      );
      metrics.posts.inc({ outcome: 'dry_run' });
      metrics.sent.inc({ via: 'dry_run' }, ids.length);
      continue;
    }
    await deliver(claim, ids);
  }
  releaseLock();

  /** Posts one claim (or finds it already posted), retrying Slack outages, and records the outcome. */
  async function deliver(claim: ClaimedPost, ids: string[]): Promise<void> {
    if (!sender) return;
    const firstId = ids[0] as string;
    const digest = ids.length > 1;
    const message = messageOf(claim, config);
    // Posted by a sender that died, or before a failure: look in the channel's history first.
    let mayHavePosted = claim.previousAttempt !== null;
    let failure: string | undefined;
    let delivered: { ts: string; already: boolean };
    try {
      delivered = await retry(
        async () => {
          if (failure !== undefined) {
            const error = failure;
            failure = undefined;
            await withTransaction(pool, (client) => recordFailure(client, ids, error, true)).catch(
              () => undefined,
            );
          }
          if (stop.aborted) throw new Error('stopping');
          if (mayHavePosted) {
            const ts = await sender.findPosted(firstId, claim.previousAttempt ?? claim.attemptedAt);
            if (ts) return { ts, already: true };
          }
          return { ts: await sender.post(message, firstId, ids.length), already: false };
        },
        {
          policy: SLACK_OUTAGE,
          isRetriable: (error) => classifySlackError(error).kind === 'transient',
          onRetry: (error, _attempt, delayMs) => {
            failure = classifySlackError(error).error;
            mayHavePosted = true;
            metrics.posts.inc({ outcome: 'transient' });
            Object.assign(status, { slack: 'unavailable', lastError: failure });
            log.warn(
              { error: failure, retryInMs: delayMs, milestones: ids.length },
              'Slack unavailable; these milestones stay first in line',
            );
          },
          signal: stop,
        },
      );
    } catch (error) {
      if (stop.aborted) return; // the claim stays recorded: the next sender looks in the history first
      const refused = classifySlackError(error);
      metrics.posts.inc({ outcome: refused.kind });
      if (refused.kind === 'configuration') {
        Object.assign(status, { slack: 'configuration_error', lastError: refused.error, hint: refused.hint });
        log.error(
          { error: refused.error, hint: refused.hint },
          'Slack refuses the configuration; milestones wait in the outbox; checking again in 60 s',
        );
        await withTransaction(pool, (client) =>
          recordFailure(client, ids, refused.error, mayHavePosted),
        ).catch(() => undefined);
        await pause(60_000);
      } else {
        log.error({ milestoneIds: ids, error: refused.error }, 'Slack rejected this post; marked failed');
        await withTransaction(pool, (client) => markFailed(client, ids, refused.error)).catch(
          () => undefined,
        );
      }
      return;
    }
    last = { at: Date.now(), digest };
    try {
      await withTransaction(pool, (client) => markSent(client, ids, delivered.ts, false));
    } catch (error) {
      // Posted but not recorded: the claim stays unfinished, the next round finds it in the history.
      log.warn({ err: error, ts: delivered.ts }, 'posted, but could not record it; checking again');
      await pause(1_000);
      return;
    }
    metrics.posts.inc({ outcome: delivered.already ? 'already_posted' : 'sent' });
    metrics.sent.inc({ via: digest ? 'digest' : 'single' }, ids.length);
    log.info(
      { milestoneIds: digest ? `${firstId}…(${ids.length})` : firstId, ts: delivered.ts },
      delivered.already
        ? 'already posted before a restart: recorded, not posted again'
        : digest
          ? 'digest posted'
          : 'milestone posted',
    );
    status.slack = 'ok';
    delete status.lastError;
    delete status.hint;
  }
}
