import { retry, withTransaction, type RetryPolicy } from '@sales-pipeline/platform';
import { markFailed, markSent, recordFailure, type ClaimedPost } from './milestone-store.ts';
import type { OutboxContext } from './outbox-context.ts';
import { messageOf, messageOfOne } from './outbox-message.ts';
import type { LastPost } from './pace-posts.ts';
import { classifySlackError, type SlackSender } from './slack-sender.ts';

/** Slack down or unreachable: try again, waiting longer each time, for as long as it takes. */
const SLACK_OUTAGE: RetryPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxAttempts: Number.POSITIVE_INFINITY,
};

/**
 * A dry run (no Slack token): each milestone is logged (a backfill's summary as the one message it would
 * be), and the claim marked sent without a post.
 */
export async function recordDryRun(ctx: OutboxContext, claim: ClaimedPost): Promise<void> {
  const { pool, config, log, metrics } = ctx;
  if (claim.summary)
    log.info(
      { backfill: claim.backfill, milestones: claim.count, text: messageOf(claim, config).text },
      'dry run: backfill summary not posted',
    );
  for (const m of claim.milestones)
    log.info(
      { milestoneId: m.id, rule: m.rule, text: messageOfOne(m, config).text },
      'dry run: milestone not posted',
    );
  await withTransaction(pool, (client) => markSent(client, claim, null, true)).catch((error: unknown) =>
    log.warn({ err: error }, 'could not record the dry run; trying again'),
  );
  metrics.posts.inc({ outcome: 'dry_run' });
  metrics.sent.inc({ via: 'dry_run' }, claim.count);
}

/**
 * Posts one claim (or finds it already posted), retrying Slack outages, and records the outcome.
 * Returns the post when one was made (or found), for the pacing of the next.
 */
export async function deliverPost(
  ctx: OutboxContext & { sender: SlackSender },
  claim: ClaimedPost,
): Promise<LastPost | undefined> {
  const { pool, sender, config, log, stop, status, metrics, pause } = ctx;
  const { firstId, count } = claim;
  const digest = count > 1;
  // A backfill's summary carries history, not a backlog: the channel does not rest after it.
  const summary = claim.backfill !== null;
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
          await withTransaction(pool, (client) => recordFailure(client, claim, error, true)).catch(
            () => undefined,
          );
        }
        if (stop.aborted) throw new Error('stopping');
        if (mayHavePosted) {
          const ts = await sender.findPosted(firstId, claim.previousAttempt ?? claim.attemptedAt);
          if (ts) return { ts, already: true };
        }
        return { ts: await sender.post(message, firstId, count), already: false };
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
            { error: failure, retryInMs: delayMs, milestones: count },
            'Slack unavailable; these milestones stay first in line',
          );
        },
        signal: stop,
      },
    );
  } catch (error) {
    if (stop.aborted) return undefined; // the claim stays recorded: the next sender looks in the history first
    const refused = classifySlackError(error);
    metrics.posts.inc({ outcome: refused.kind });
    if (refused.kind === 'configuration') {
      Object.assign(status, { slack: 'configuration_error', lastError: refused.error, hint: refused.hint });
      log.error(
        { error: refused.error, hint: refused.hint },
        'Slack refuses the configuration; milestones wait in the outbox; checking again in 60 s',
      );
      await withTransaction(pool, (client) =>
        recordFailure(client, claim, refused.error, mayHavePosted),
      ).catch(() => undefined);
      await pause(60_000);
    } else {
      log.error(
        { milestoneIds: digest ? `${firstId}…(${count})` : firstId, error: refused.error },
        'Slack rejected this post; marked failed',
      );
      await withTransaction(pool, (client) => markFailed(client, claim, refused.error)).catch(
        () => undefined,
      );
    }
    return undefined;
  }
  const posted: LastPost = { at: Date.now(), digest: digest && !summary };
  try {
    await withTransaction(pool, (client) => markSent(client, claim, delivered.ts, false));
  } catch (error) {
    // Posted but not recorded: the claim stays unfinished, the next round finds it in the history.
    log.warn({ err: error, ts: delivered.ts }, 'posted, but could not record it; checking again');
    await pause(1_000);
    return posted;
  }
  metrics.posts.inc({ outcome: delivered.already ? 'already_posted' : 'sent' });
  metrics.sent.inc({ via: digest ? 'digest' : 'single' }, count);
  log.info(
    { milestoneIds: digest ? `${firstId}…(${count})` : firstId, ts: delivered.ts },
    delivered.already
      ? 'already posted before a restart: recorded, not posted again'
      : summary
        ? 'backfill summary posted'
        : digest
          ? 'digest posted'
          : 'milestone posted',
  );
  status.slack = 'ok';
  delete status.lastError;
  delete status.hint;
  return posted;
}
