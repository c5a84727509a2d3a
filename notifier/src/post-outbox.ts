import { setTimeout as sleep } from 'node:timers/promises';
import { withTransaction, Wakeup } from '@sales-pipeline/platform';
import { deliverPost, recordDryRun } from './deliver-post.ts';
import { claimNextPost, outboxBacklog, type ClaimedPost } from './milestone-store.ts';
import type { OutboxContext } from './outbox-context.ts';
import { nextPost, type LastPost, type Pacing } from './pace-posts.ts';
import { SenderLock } from './sender-lock.ts';

export type { NotifierStatus, OutboxMetrics } from './outbox-context.ts';

/** What the send loop works with: the outbox's context, and what wakes it when milestones are recorded. */
export interface PostOutboxOptions extends Omit<OutboxContext, 'pause'> {
  /** Notified when this process records milestones; the loop also re-reads the outbox every few seconds. */
  outboxFilled?: Wakeup;
}

/** How long an idle send loop sleeps before it reads the outbox again, unless woken sooner. */
const IDLE_RECHECK_MS = 5_000;

/**
 * Posts the outbox, oldest first, paced by {@link nextPost}: a message per milestone while the channel
 * keeps up, one digest for many when it cannot. Each milestone is posted once: its post is claimed in the
 * outbox before it is sent (one sender at a time, {@link SenderLock}), and a claim left unfinished (a
 * crash, an outage) is looked up in the channel's history before it is posted again, with the same
 * milestones ({@link deliverPost}). Runs until `stop` aborts.
 */
export async function postOutbox(options: PostOutboxOptions): Promise<void> {
  const { pool, sender, config, log, stop, metrics, outboxFilled = new Wakeup() } = options;
  const pause = (ms: number) => sleep(ms, undefined, { signal: stop }).catch(() => undefined);
  const ctx: OutboxContext = { ...options, pause };
  const pacing: Pacing = {
    minIntervalMs: config.SLACK_MIN_INTERVAL_MS,
    digestAfter: config.NOTIFIER_DIGEST_AFTER,
    digestMax: config.NOTIFIER_DIGEST_MAX,
    digestIntervalMs: config.NOTIFIER_DIGEST_INTERVAL_MS,
  };
  let last: LastPost | undefined;
  const lock = new SenderLock(pool, log);
  while (!stop.aborted) {
    if (!(await lock.hold())) {
      await pause(2_000);
      continue;
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
    if (!sender) await recordDryRun(ctx, claim);
    else last = (await deliverPost({ ...ctx, sender }, claim)) ?? last;
  }
  lock.release();
}
