import type { PoolClient } from '@sales-pipeline/platform';
import type { BestDayCandidate, Milestone } from './detect-milestones.ts';

/** A milestone as stored in the outbox. */
export interface StoredMilestone extends Milestone {
  id: string;
  attemptedAt: Date | null;
}

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
  if (Number(candidate.revenue) <= Number(row.best_other)) return undefined;
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
 * are now. Unique per (rule, subject, step): a replay or a re-snapshot records nothing twice.
 */
export async function recordMilestones(client: PoolClient, milestones: Milestone[]): Promise<Milestone[]> {
  if (milestones.length === 0) return [];
  const result = await client.query<{ rule: string; subject: string; step: string }>(
    `INSERT INTO milestones (rule, subject, step, payload)
     SELECT m.rule, m.subject, m.step, m.payload
            || jsonb_build_object('product_name', p.name, 'city', st.city)
       FROM unnest($1::text[], $2::text[], $3::numeric[], $4::jsonb[]) AS m(rule, subject, step, payload)
       LEFT JOIN products p ON p.product_id = m.payload ->> 'product_id'
       LEFT JOIN stores st ON st.store_id = m.payload ->> 'store_id'
     ON CONFLICT (rule, subject, step) DO NOTHING
     RETURNING rule, subject, step::text AS step`,
    [
      milestones.map((m) => m.rule),
      milestones.map((m) => m.subject),
      milestones.map((m) => m.step),
      milestones.map((m) => JSON.stringify(m.payload)),
    ],
  );
  const recorded = new Set(result.rows.map((r) => `${r.rule}\u0000${r.subject}\u0000${Number(r.step)}`));
  return milestones.filter((m) => recorded.has(`${m.rule}\u0000${m.subject}\u0000${Number(m.step)}`));
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
 * The oldest pending milestone (detection order), marked as attempted now. Also returns when it was
 * attempted before: such a milestone may have been posted by a sender that died before recording it.
 * Call only while holding the sender lock.
 */
export async function claimNextPending(client: PoolClient): Promise<StoredMilestone | undefined> {
  const { rows } = await client.query<{
    milestone_id: string;
    rule: Milestone['rule'];
    subject: string;
    step: string;
    payload: Milestone['payload'];
    previous_attempt: Date | null;
  }>(
    `WITH next AS (
       SELECT milestone_id, attempted_at FROM milestones WHERE status = 'pending' ORDER BY milestone_id LIMIT 1
     )
     UPDATE milestones m SET attempted_at = now()
       FROM next
      WHERE m.milestone_id = next.milestone_id
     RETURNING m.milestone_id, m.rule, m.subject, m.step::text, m.payload, next.attempted_at AS previous_attempt`,
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.milestone_id,
    rule: row.rule,
    subject: row.subject,
    step: row.step.replace(/\.00$/, ''),
    payload: row.payload,
    attemptedAt: row.previous_attempt,
  };
}

export async function markSent(
  client: PoolClient,
  id: string,
  ts: string | null,
  dryRun: boolean,
): Promise<void> {
  await client.query(
    `UPDATE milestones SET status = $2, slack_ts = $3, sent_at = now(), last_error = NULL WHERE milestone_id = $1`,
    [id, dryRun ? 'sent_dry' : 'sent', ts],
  );
}

/**
 * After a failure: records it. `mayHavePosted` keeps the attempt (the next try looks in the channel's
 * history first); otherwise the attempt is forgotten (Slack refused the call, nothing was posted).
 */
export async function recordFailure(
  client: PoolClient,
  id: string,
  error: string,
  mayHavePosted: boolean,
): Promise<void> {
  await client.query(
    `UPDATE milestones SET last_error = $2, attempted_at = CASE WHEN $3 THEN attempted_at ELSE NULL END
      WHERE milestone_id = $1`,
    [id, error, mayHavePosted],
  );
}

export async function markFailed(client: PoolClient, id: string, error: string): Promise<void> {
  await client.query(`UPDATE milestones SET status = 'failed', last_error = $2 WHERE milestone_id = $1`, [
    id,
    error,
  ]);
}
