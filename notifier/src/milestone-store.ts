import type { ChunkEvent, PoolClient } from '@sales-pipeline/platform';
import { bigSaleMilestone, type BestDayCandidate, type Milestone } from './detect-milestones.ts';
import { ALERT_RULES, LISTED, NAMED, type DigestFacts } from './format-digest.ts';
import { toCents } from './money.ts';

/** A milestone as stored in the outbox. */
export interface StoredMilestone extends Milestone {
  id: string;
  /** The backfill it was recorded during (held back until that backfill finished), or null: live. */
  backfill: string | null;
}

/**
 * The milestones that may be posted now: live ones, and those held by backfills that have finished (a
 * milestone is only ever marked with a backfill open when it is recorded). Read in two parts, each
 * through an index of its own (db/migrations/…026_outbox-indexes.sql): the milestones a backfill still
 * open holds, millions for a year of history, are never read one by one to be left out.
 */
const LIVE = `status = 'pending' AND backfill IS NULL`;
/** The pending milestones of the finished backfill `b` (an index lookup per finished backfill). */
const HELD_BY = (b: string) => `m.status = 'pending' AND m.backfill = ${b}.feed`;

/**
 * The big sales among these chunks' sales (a backfill's history stored in bulk, not captured row by
 * row), complete and still as the chunk stored them: a sale changed since was captured on its own.
 */
export async function bigSalesOfChunks(
  client: PoolClient,
  chunks: ChunkEvent[],
  threshold: bigint,
): Promise<Milestone[]> {
  if (chunks.length === 0 || threshold <= 0n) return [];
  const { rows } = await client.query<Record<string, unknown>>({
    name: 'notifier-big-sales-of-chunks',
    text: `SELECT s.sale_id, s.amount::text AS amount, s.product_id, s.store_id, s.quantity,
                  to_char(s.line_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS line_seen_at
             FROM unnest($1::text[], $2::integer[], $3::bigint[]) WITH ORDINALITY AS c(topic, part, off, n)
             JOIN sales s ON s.kafka_topic = c.topic AND s.kafka_partition = c.part AND s.kafka_offset = c.off
            WHERE s.bulk AND s.status = 'complete' AND s.amount >= $4::numeric / 100
            ORDER BY c.n, s.line_number`,
    values: [
      chunks.map((c) => c.topic),
      chunks.map((c) => c.partition),
      chunks.map((c) => c.offset),
      threshold.toString(),
    ],
  });
  return rows.map((row) => bigSaleMilestone(row, threshold));
}

/**
 * The store records among these candidates, in their order: a candidate is a record when its store has
 * at least two days with sales and its revenue beats every other day's as the aggregates are now. One
 * query for them all (a backfill's aggregates move thousands of store-days in one transaction): each
 * store's two best days answer "the best other day" for any of its days.
 */
export async function confirmBestDays(
  client: PoolClient,
  candidates: BestDayCandidate[],
): Promise<Array<Milestone | undefined>> {
  if (candidates.length === 0) return [];
  const { rows } = await client.query<{ store_id: string; day: string; revenue: string; days: string }>({
    name: 'notifier-best-two-days',
    text: `SELECT store_id, to_char(day, 'YYYY-MM-DD') AS day, revenue::text AS revenue, days::text AS days
             FROM (SELECT store_id, day, revenue, count(*) OVER (PARTITION BY store_id) AS days,
                          row_number() OVER (PARTITION BY store_id ORDER BY revenue DESC, day) AS rank
                     FROM analytics.by_store_day WHERE store_id = ANY($1::text[]) AND sales > 0) d
            WHERE rank <= 2
            ORDER BY store_id, rank`,
    values: [[...new Set(candidates.map((c) => c.storeId))]],
  });
  const best = new Map<string, Array<{ day: string; revenue: string; days: number }>>();
  for (const r of rows) {
    const list = best.get(r.store_id) ?? [];
    list.push({ day: r.day, revenue: r.revenue, days: Number(r.days) });
    best.set(r.store_id, list);
  }
  return candidates.map((candidate) => {
    const top = best.get(candidate.storeId) ?? [];
    const other = top.find((d) => d.day !== candidate.day);
    if ((top[0]?.days ?? 0) < 2 || !other) return undefined;
    if (toCents(candidate.revenue) <= toCents(other.revenue)) return undefined;
    return {
      rule: 'store_best_day',
      subject: candidate.storeId,
      step: candidate.day.replaceAll('-', ''),
      payload: {
        store_id: candidate.storeId,
        day: candidate.day,
        revenue: candidate.revenue,
        previous_best: other.revenue,
      },
    };
  });
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
  // The loop asks each time it wakes. Until the backfills table is analyzed the planner takes it for
  // hundreds of rows and compiles this query (JIT: 0.3 s, for a few index entries): never here.
  await client.query('SET LOCAL jit = off');
  const { rows } = await client.query<{ pending: string | null; oldest: Date | null }>(
    `SELECT sum(n) AS pending, min(oldest) AS oldest FROM (
       SELECT count(*) AS n, min(detected_at) AS oldest FROM milestones WHERE ${LIVE}
       UNION ALL
       SELECT held.n, held.oldest FROM backfills b CROSS JOIN LATERAL (
         SELECT count(*) AS n, min(m.detected_at) AS oldest FROM milestones m WHERE ${HELD_BY('b')}) held
        WHERE b.finished_at IS NOT NULL) p`,
  );
  return { pending: Number(rows[0]?.pending ?? 0), oldest: rows[0]?.oldest ?? null };
}

/** Milestones claimed together for one post (one message, a digest, or a backfill's summary). */
export interface ClaimedPost {
  /**
   * The claim's time as the database keeps it (text, to the microsecond): its milestones are those pending
   * with this `attempted_at`, however many they are ({@link markSent}, {@link recordFailure}).
   */
  key: string;
  /** How many milestones, and the oldest one's id: the post's metadata names them. */
  count: number;
  firstId: string;
  /** The backfill whose summary this is, or null: a live post. */
  backfill: string | null;
  /** A live post's milestones, oldest first (at most the claim's limit); none for a backfill's summary. */
  milestones: StoredMilestone[];
  /**
   * A backfill's summary: its digest's facts, computed by the database over every milestone it held (a
   * year of history can hold millions of big sales: they are never loaded one by one).
   */
  summary: DigestFacts | undefined;
  /** When these were attempted together now. */
  attemptedAt: Date;
  /**
   * When they were attempted before, if they were: the post may have gone out from a sender that died
   * before recording it, so the channel's history is looked at first.
   */
  previousAttempt: Date | null;
}

interface MilestoneRow {
  milestone_id: string;
  rule: Milestone['rule'];
  subject: string;
  step: string;
  payload: Milestone['payload'];
  backfill: string | null;
}

/** The columns of a {@link MilestoneRow}. */
const ROW = `milestone_id::text, rule, subject, step::text, payload, backfill`;

const stored = (row: MilestoneRow): StoredMilestone => ({
  id: row.milestone_id,
  rule: row.rule,
  subject: row.subject,
  step: row.step.replace(/\.00$/, ''),
  payload: row.payload,
  backfill: row.backfill,
});

/** The milestones of this transaction's claim. */
const CLAIMED = `FROM milestones WHERE status = 'pending' AND attempted_at = now()`;

/**
 * {@link DigestFacts} of this transaction's claim, by the database: the same rules as
 * {@link digestFacts} (its unit tests, and an integration test comparing both on one outbox), a few
 * rows whatever the number of milestones.
 */
async function summaryFacts(client: PoolClient): Promise<DigestFacts> {
  const { rows: counts } = await client.query<{
    total: number;
    revenue_steps: number;
    products: number;
    big_sales: number;
    big_total: string;
    records: number;
  }>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE rule = 'revenue_total')::int AS revenue_steps,
            count(DISTINCT subject) FILTER (WHERE rule = 'product_units')::int AS products,
            count(*) FILTER (WHERE rule = 'big_sale')::int AS big_sales,
            coalesce(sum((payload ->> 'amount')::numeric) FILTER (WHERE rule = 'big_sale'), 0)::text AS big_total,
            count(*) FILTER (WHERE rule = 'store_best_day')::int AS records
       ${CLAIMED}`,
  );
  const { rows } = await client.query<MilestoneRow & { part: string }>(
    `WITH c AS MATERIALIZED (SELECT ${ROW} ${CLAIMED})
     (SELECT 'revenue' AS part, * FROM c WHERE rule = 'revenue_total' ORDER BY step::numeric DESC LIMIT 1)
     UNION ALL
     (SELECT 'product', * FROM (SELECT DISTINCT ON (subject) * FROM c WHERE rule = 'product_units'
                                 ORDER BY subject, step::numeric DESC) p
       ORDER BY step::numeric DESC, subject COLLATE "C" LIMIT $1)
     UNION ALL
     (SELECT 'big', * FROM c WHERE rule = 'big_sale'
       ORDER BY (payload ->> 'amount')::numeric DESC NULLS LAST, milestone_id::bigint LIMIT 1)
     UNION ALL
     (SELECT 'held', * FROM c WHERE rule = 'feed_held' ORDER BY milestone_id::bigint LIMIT $2)
     UNION ALL
     (SELECT 'alert', * FROM c WHERE rule = ANY($3::text[])
       ORDER BY array_position($3::text[], rule), milestone_id::bigint LIMIT $2)
     UNION ALL
     (SELECT 'record', * FROM c WHERE rule = 'store_best_day' ORDER BY milestone_id::bigint LIMIT $1)`,
    [NAMED, LISTED, ALERT_RULES],
  );
  const part = (name: string) => rows.filter((r) => r.part === name).map(stored);
  const n = counts[0] as (typeof counts)[number];
  const [revenue] = part('revenue');
  const [largest] = part('big');
  return {
    count: n.total,
    revenue: revenue && { highest: revenue, steps: n.revenue_steps },
    products: { highest: part('product'), count: n.products },
    bigSales: largest && { count: n.big_sales, total: n.big_total, largest },
    held: part('held'),
    alerts: part('alert'),
    records: { first: part('record'), count: n.records },
  };
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
    count: number;
    first_id: string | null;
    backfill: string | null;
    previous_attempt: Date | null;
    attempted_at: Date;
    key: string;
  }>(
    `WITH unfinished AS (
       SELECT attempted_at FROM milestones
        WHERE status = 'pending' AND attempted_at IS NOT NULL ORDER BY milestone_id LIMIT 1
     ), history AS (
       SELECT min(b.feed) AS feed FROM backfills b
        WHERE b.finished_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM unfinished)
          AND EXISTS (SELECT 1 FROM milestones m WHERE ${HELD_BY('b')} AND m.attempted_at IS NULL)
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
     ), claimed AS (
       UPDATE milestones m SET attempted_at = now()
         FROM next
        WHERE m.milestone_id = next.milestone_id
       RETURNING m.milestone_id, m.backfill, next.attempted_at AS previous_attempt
     )
     SELECT count(*)::int AS count, min(milestone_id)::text AS first_id, min(backfill) AS backfill,
            max(previous_attempt) AS previous_attempt, now() AS attempted_at,
            -- ISO 8601 in UTC, to the microsecond: read back the same whatever the session's DateStyle.
            to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key
       FROM claimed`,
    [limit],
  );
  const claim = rows[0];
  if (!claim || claim.count === 0 || claim.first_id === null) return undefined;
  const backfill = claim.backfill;
  const milestones =
    backfill === null
      ? (await client.query<MilestoneRow>(`SELECT ${ROW} ${CLAIMED} ORDER BY milestone_id`)).rows.map(stored)
      : [];
  return {
    key: claim.key,
    count: claim.count,
    firstId: claim.first_id,
    backfill,
    milestones,
    summary: backfill === null ? undefined : await summaryFacts(client),
    attemptedAt: claim.attempted_at,
    previousAttempt: claim.previous_attempt,
  };
}

/** The milestones of a claim: those still pending with its time. */
const OF_CLAIM = `status = 'pending' AND attempted_at = $1::timestamptz`;

/** Records the post of a claim's milestones (one message, a digest or a summary): each is sent, once. */
export async function markSent(
  client: PoolClient,
  claim: Pick<ClaimedPost, 'key'>,
  ts: string | null,
  dryRun: boolean,
): Promise<void> {
  await client.query(
    `UPDATE milestones SET status = $2, slack_ts = $3, sent_at = now(), last_error = NULL WHERE ${OF_CLAIM}`,
    [claim.key, dryRun ? 'sent_dry' : 'sent', ts],
  );
}

/**
 * After a failure: records it. `mayHavePosted` keeps the attempt (the next try looks in the channel's
 * history first, and posts these milestones together again); otherwise the attempt is forgotten (Slack
 * refused every call, nothing was posted).
 */
export async function recordFailure(
  client: PoolClient,
  claim: Pick<ClaimedPost, 'key'>,
  error: string,
  mayHavePosted: boolean,
): Promise<void> {
  await client.query(
    `UPDATE milestones SET last_error = $2, attempted_at = CASE WHEN $3 THEN attempted_at ELSE NULL END
      WHERE ${OF_CLAIM}`,
    [claim.key, error, mayHavePosted],
  );
}

export async function markFailed(
  client: PoolClient,
  claim: Pick<ClaimedPost, 'key'>,
  error: string,
): Promise<void> {
  await client.query(`UPDATE milestones SET status = 'failed', last_error = $2 WHERE ${OF_CLAIM}`, [
    claim.key,
    error,
  ]);
}
