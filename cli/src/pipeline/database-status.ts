import pg from 'pg';
import type { Env } from '@sales-pipeline/platform';
import { CDC_SLOT_NAME } from '@sales-pipeline/stack';
import { pendingWarning } from '@sales-pipeline/consumer/overdue-pending';
import type { HeldFeed, PipelineStatus } from './status-types.ts';

/** An offset a consumer group stored in PostgreSQL with its rows (the table consumer_offsets). */
export type StoredOffset = {
  consumer_group: string;
  topic: string;
  kafka_partition: number;
  next_offset: string;
};

export interface DatabaseStatus {
  replicationSlot: PipelineStatus['replicationSlot'];
  totals: PipelineStatus['totals'];
  lastMilestones: PipelineStatus['lastMilestones'];
  heldFeeds: HeldFeed[];
  backfills: PipelineStatus['backfills'];
  stored: StoredOffset[];
  verification: PipelineStatus['verification'];
  feeds: PipelineStatus['feeds'];
}

/** Nothing read yet: what a status shows of the database when it cannot be read. */
export function emptyDatabaseStatus(): DatabaseStatus {
  return {
    replicationSlot: null,
    totals: null,
    lastMilestones: [],
    heldFeeds: [],
    backfills: [],
    stored: [],
    verification: null,
    feeds: [],
  };
}

/** The CDC replication slot and how far it lags, through any client or pool. */
export async function readSlot(client: Pick<pg.Pool, 'query'>): Promise<PipelineStatus['replicationSlot']> {
  const slot = await client.query<{ active: boolean; lag: string | null }>(
    `SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag
       FROM pg_replication_slots WHERE slot_name = $1`,
    [CDC_SLOT_NAME],
  );
  const s = slot.rows[0];
  return s ? { name: CDC_SLOT_NAME, active: s.active, lagBytes: Number(s.lag ?? 0) } : null;
}

type TotalsRow = Record<
  'sales' | 'pending' | 'rejected' | 'gross' | 'returns' | 'returned' | 'revenue' | 'milestones',
  string | null
>;

async function readTotals(client: pg.Client): Promise<PipelineStatus['totals']> {
  const t = await client.query<TotalsRow>(
    `SELECT (SELECT count(*) FROM sales) AS sales,
            (SELECT count(*) FROM sales WHERE status = 'pending') AS pending,
            (SELECT count(*) FROM rejected_rows) AS rejected,
            (a.revenue + a.returns_revenue)::text AS gross, a.returns, a.returns_revenue::text AS returned,
            a.revenue::text AS revenue,
            (SELECT count(*) FROM milestones) AS milestones
       FROM (SELECT 1) one LEFT JOIN analytics.revenue_total a ON a.id = 1`,
  );
  const row = t.rows[0];
  return row
    ? {
        sales: Number(row.sales),
        pendingSales: Number(row.pending),
        rejectedRows: Number(row.rejected),
        grossRevenue: row.gross ?? '0.00',
        returns: Number(row.returns ?? 0),
        returnsRevenue: row.returned ?? '0.00',
        revenue: row.revenue ?? '0.00',
        milestones: Number(row.milestones),
      }
    : null;
}

/** The feeds held back, not accepted yet: a warning of `status`. */
async function readHeldFeeds(client: pg.Client): Promise<HeldFeed[]> {
  const { rows } = await client.query<{
    feed: string;
    reason: string;
    cancels: string;
    live_sales: string;
    held_at: Date;
  }>(
    `SELECT feed, reason, cancels, live_sales, held_at FROM feed_holds
      WHERE accepted_at IS NULL ORDER BY held_at, feed`,
  );
  return rows.map((r) => ({
    feed: r.feed,
    reason: r.reason,
    cancels: Number(r.cancels),
    live_sales: Number(r.live_sales),
    held_at: r.held_at.toISOString(),
  }));
}

/** The analytics worker's last check of the aggregates, with the drifts still open. */
export async function readVerification(
  client: Pick<pg.Pool, 'query'>,
): Promise<PipelineStatus['verification']> {
  const { rows } = await client.query<{
    verified_through: Date | null;
    checked_at: Date | null;
    behind_sales: number;
    behind_sale_id: string | null;
  }>(
    'SELECT verified_through, checked_at, behind_sales, behind_sale_id FROM analytics.verification WHERE id = 1',
  );
  const v = rows[0];
  if (!v) return null;
  const drift = await client.query<{
    aggregate: string;
    key: string;
    stored: Record<string, string>;
    recomputed: Record<string, string>;
    detected_at: Date;
  }>(
    `SELECT aggregate, key, stored, recomputed, detected_at FROM analytics.drifts WHERE repaired_at IS NULL
      ORDER BY drift_id LIMIT 100`,
  );
  return {
    verified_through: v.verified_through?.toISOString() ?? null,
    checked_at: v.checked_at?.toISOString() ?? null,
    drift: drift.rows.map((d) => ({
      aggregate: d.aggregate,
      key: d.key,
      stored: d.stored,
      recomputed: d.recomputed,
      detected_at: d.detected_at.toISOString(),
    })),
    behind: { sales: v.behind_sales, oldest_sale_id: v.behind_sale_id },
  };
}

/** When each feed and HTTP source last grew, and whether it is stale (the consumer's watch decides). */
export async function readFeeds(client: Pick<pg.Pool, 'query'>): Promise<PipelineStatus['feeds']> {
  const { rows } = await client.query<{
    feed: string;
    last_growth_at: Date;
    lines: string;
    stale_since: Date | null;
    kind: 'http' | 'feed' | null;
    rejected: string;
  }>(
    `SELECT a.feed, a.last_growth_at, a.lines, a.stale_since, a.kind, coalesce(r.rejected, 0) AS rejected
       FROM feed_activity a
       LEFT JOIN (SELECT feed, count(*) AS rejected FROM rejected_rows GROUP BY feed) r USING (feed)
      ORDER BY a.feed`,
  );
  return rows.map((r) => ({
    name: r.feed,
    kind: r.kind,
    rejected: Number(r.rejected),
    last_growth_at: r.last_growth_at.toISOString(),
    lines: Number(r.lines),
    stale: r.stale_since !== null,
    ...(r.stale_since ? { stale_since: r.stale_since.toISOString() } : {}),
  }));
}

/** Backfills not finished, and the milestones each holds for its summary. */
async function readOpenBackfills(client: pg.Client): Promise<PipelineStatus['backfills']> {
  const { rows } = await client.query<{ feed: string; started_at: Date; held: number }>(
    `SELECT b.feed, b.started_at,
            (SELECT count(*) FROM milestones m WHERE m.backfill = b.feed AND m.status = 'pending')::int AS held
       FROM backfills b WHERE b.finished_at IS NULL ORDER BY b.started_at`,
  );
  return rows.map((r) => ({ feed: r.feed, started_at: r.started_at.toISOString(), held_milestones: r.held }));
}

type MilestoneRow = { rule: string; subject: string; step: string; status: string; detected_at: Date };

async function readLastMilestones(client: pg.Client): Promise<PipelineStatus['lastMilestones']> {
  const m = await client.query<MilestoneRow>(
    `SELECT rule, subject, step::text, status, detected_at FROM milestones ORDER BY milestone_id DESC LIMIT 5`,
  );
  return m.rows.map((r) => ({
    rule: r.rule,
    subject: r.subject,
    step: r.step,
    status: r.status,
    detectedAt: r.detected_at.toISOString(),
  }));
}

/**
 * The replication slot, the totals, the last milestones, the held feeds and the stored offsets, in one
 * connection. What cannot be read is left empty and said in `errors`; an overdue pending sale is a warning
 * there too, as is a held feed (neither makes the pipeline unhealthy).
 */
export async function readDatabaseStatus(env: Env, errors: string[]): Promise<DatabaseStatus> {
  const result = emptyDatabaseStatus();
  if (!env.DATABASE_URL) return result;
  const client = new pg.Client({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    result.replicationSlot = await readSlot(client);
    result.totals = await readTotals(client);
    // A sale pending for longer than PENDING_ALERT_AFTER: a warning.
    const overdue = await pendingWarning(client, env);
    if (overdue) errors.push(`warning: ${overdue}`);
    result.lastMilestones = await readLastMilestones(client);
    result.heldFeeds = await readHeldFeeds(client);
    result.backfills = await readOpenBackfills(client);
    result.verification = await readVerification(client);
    result.feeds = await readFeeds(client);
    result.stored = (
      await client.query<StoredOffset>(
        'SELECT consumer_group, topic, kafka_partition, next_offset FROM consumer_offsets',
      )
    ).rows;
  } catch (error) {
    errors.push(`database: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return result;
}
