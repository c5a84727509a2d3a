import type { PoolClient } from '@sales-pipeline/platform';
import type { BestDayCandidate, Milestone } from './detect-milestones.ts';
import { toCents } from './money.ts';

/** A milestone as stored in the outbox. */
export interface StoredMilestone extends Milestone {
  id: string;
  attemptedAt: Date | null;
  /** The backfill it was recorded during (held back until that backfill finished), or null: live. */
  backfill: string | null;
}

/** The milestones that may be posted now: live ones, and those of backfills that have finished. */
const POSTABLE = `status = 'pending' AND (backfill IS NULL OR NOT EXISTS (
   SELECT 1 FROM backfills b WHERE b.feed = milestones.backfill AND b.finished_at IS NULL))`;

/** A store's new daily record, confirmed against its other days (none on its first day). */
export async function confirmBestDay(
  client: PoolClient,
  candidate: BestDayCandidate,
): Promise<Milestone | undefined> {
  const { rows } = await client.query<{ days: string; best_other: string | null }>(
    `SELECT count(*) AS days, max(revenue) FILTER (WHERE day <> $2::date) AS best_other
       FROM analytics.by_store_day WHERE store_id = $1 AND sales > 0`,
    [candidate.storeId, candidate.day],
  );
  const row = rows[0];
  if (!row || Number(row.days) < 2 || row.best_other === null) return undefined;
  if (toCents(candidate.revenue) <= toCents(row.best_other)) return undefined;
  return {
    rule: 'store_best_day',
    subject: candidate.storeId,
    step: candidate.day.replaceAll('-', ''),
    payload: {
      store_id: candidate.storeId,
      day: candidate.day,
      revenue: candidate.revenue,
      previous_best: row.best_other,
    },
  };
}

/**
 * Records milestones in the outbox — before anything is sent — with the names they mention as they
 * are now. Unique per (rule, subject, step): a replay or a re-snapshot records nothing twice. While a
 * backfill is open, what is recorded is marked with it: held back, then posted as its summary.
 */
export async function recordMilestones(client: PoolClient, milestones: Milestone[]): Promise<Milestone[]> {
  if (milestones.length === 0) return [];
  const result = await client.query<{ rule: string; subject: string; step: string }>(
    // In detection order (WITH ORDINALITY … ORDER BY): the outbox posts by milestone id, and a join may
    // otherwise hand the rows to the insert in another order (1,000 €, 5,000 €, then 2,000 € was seen).
    `INSERT INTO milestones (rule, subject, step, payload, backfill)
     SELECT m.rule, m.subject, m.step, m.payload
            || jsonb_build_object('product_name', p.name, 'city', st.city),
            (SELECT min(b.feed) FROM backfills b WHERE b.finished_at IS NULL)
       FROM unnest($1::text[], $2::text[], $3::numeric[], $4::jsonb[])
            WITH ORDINALITY AS m(rule, subject, step, payload, ord)
       LEFT JOIN products p ON p.product_id = m.payload ->> 'product_id'
       LEFT JOIN stores st ON st.store_id = m.payload ->> 'store_id'
      ORDER BY m.ord
     ON CONFLICT (rule, subject, step) DO NOTHING
     RETURNING rule, subject, step::text AS step`,
    [
      milestones.map((m) => m.rule),
      milestones.map((m) => m.subject),
      milestones.map((m) => m.step),
      milestones.map((m) => JSON.stringify(m.payload)),
    ],
  );
  const key = (m: { rule: string; subject: string; step: string }) =>
    `${m.rule}\u0000${m.subject}\u0000${toCents(m.step)}`;
  const recorded = new Set(result.rows.map(key));
  return milestones.filter((m) => recorded.has(key(m)));
}

/** Only one notifier sends at a time: it holds this session lock, freed when its connection ends. */
export const SENDER_LOCK = 0x534c434b; // 'SLCK'

/** Takes the sender lock on this connection if it is free. */
export async function tryHoldSenderLock(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [
    SENDER_LOCK,
  ]);
  return rows[0]?.held === true;
}

/**
 * The outbox's backlog: milestones waiting to be posted, and since when the oldest waits. Those held for
 * a backfill still open are not counted: they wait for its end, not for the channel.
 */
export async function outboxBacklog(client: PoolClient): Promise<{ pending: number; oldest: Date | null }> {
  const { rows } = await client.query<{ pending: string; oldest: Date | null }>(
    `SELECT count(*) AS pending, min(detected_at) AS oldest FROM milestones WHERE ${POSTABLE}`,
  );
  return { pending: Number(rows[0]?.pending ?? 0), oldest: rows[0]?.oldest ?? null };
}

/** Milestones claimed together for one post (one message, or one digest), oldest first. */
export interface ClaimedPost {
  milestones: StoredMilestone[];
  /** When these were attempted together now. */
  attemptedAt: Date;
  /**
   * When they were attempted before, if they were: the post may have gone out from a sender that died
   * before recording it, so the channel's history is looked at first.
   */
  previousAttempt: Date | null;
}

/**
 * Claims the next post, marking its milestones as attempted, all with the same time (the transaction's):
 * that time ties a post's milestones together across a crash. First an attempt left unfinished (the same
 * milestones again, whatever has arrived since); else every milestone of a finished backfill (its
 * summary: one post, whatever their number); else the oldest `limit` live milestones.
 * Call only while holding the sender lock.
 */
export async function claimNextPost(client: PoolClient, limit: number): Promise<ClaimedPost | undefined> {
  const { rows } = await client.query<{
    milestone_id: string;
    rule: Milestone['rule'];
    subject: string;
    step: string;
    payload: Milestone['payload'];
    attempted_at: Date;
    previous_attempt: Date | null;
    backfill: string | null;
  }>(
    `WITH unfinished AS (
       SELECT attempted_at FROM milestones
        WHERE status = 'pending' AND attempted_at IS NOT NULL ORDER BY milestone_id LIMIT 1
     ), history AS (
       SELECT min(backfill) AS feed FROM milestones
        WHERE ${POSTABLE} AND backfill IS NOT NULL AND attempted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM unfinished)
     ), next AS (
       SELECT milestone_id, attempted_at FROM milestones
        WHERE status = 'pending' AND attempted_at = (SELECT attempted_at FROM unfinished)
       UNION ALL
       SELECT milestone_id, attempted_at FROM milestones
        WHERE status = 'pending' AND attempted_at IS NULL AND backfill = (SELECT feed FROM history)
       UNION ALL
       (SELECT milestone_id, attempted_at FROM milestones
         WHERE status = 'pending' AND attempted_at IS NULL AND backfill IS NULL
           AND NOT EXISTS (SELECT 1 FROM unfinished) AND (SELECT feed FROM history) IS NULL
         ORDER BY milestone_id LIMIT $1)
     )
     UPDATE milestones m SET attempted_at = now()
       FROM next
      WHERE m.milestone_id = next.milestone_id
     RETURNING m.milestone_id::text, m.rule, m.subject, m.step::text, m.payload, m.attempted_at,
               next.attempted_at AS previous_attempt, m.backfill`,
    [limit],
  );
  const first = rows[0];
  if (!first) return undefined;
  return {
    milestones: rows
      .map((row) => ({
        id: row.milestone_id,
        rule: row.rule,
        subject: row.subject,
        step: row.step.replace(/\.00$/, ''),
        payload: row.payload,
        attemptedAt: row.previous_attempt,
        backfill: row.backfill,
      }))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
    attemptedAt: first.attempted_at,
    previousAttempt: first.previous_attempt,
  };
}

/** Records the post of these milestones (one message or a digest): each is sent, once. */
export async function markSent(
  client: PoolClient,
  ids: readonly string[],
  ts: string | null,
  dryRun: boolean,
): Promise<void> {
  await client.query(
    `UPDATE milestones SET status = $2, slack_ts = $3, sent_at = now(), last_error = NULL
      WHERE milestone_id = ANY($1::bigint[])`,
    [ids, dryRun ? 'sent_dry' : 'sent', ts],
  );
}

/**
 * After a failure: records it. `mayHavePosted` keeps the attempt (the next try looks in the channel's
 * history first, and posts these milestones together again); otherwise the attempt is forgotten (Slack
 * refused every call, nothing was posted).
 */
export async function recordFailure(
  client: PoolClient,
  ids: readonly string[],
  error: string,
  mayHavePosted: boolean,
): Promise<void> {
  await client.query(
    `UPDATE milestones SET last_error = $2, attempted_at = CASE WHEN $3 THEN attempted_at ELSE NULL END
      WHERE milestone_id = ANY($1::bigint[])`,
    [ids, error, mayHavePosted],
  );
}

export async function markFailed(client: PoolClient, ids: readonly string[], error: string): Promise<void> {
  await client.query(
    `UPDATE milestones SET status = 'failed', last_error = $2 WHERE milestone_id = ANY($1::bigint[])`,
    [ids, error],
  );
}
