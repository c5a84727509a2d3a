import { toCents, withClient, type Pool, type PoolClient } from '@sales-pipeline/platform';
import {
  AGGREGATE_TABLES,
  SUMS_SQL,
  VERIFY_LOCK,
  figuresOf,
  rowsDifferingFromFacts,
  type AggregateFigures,
} from './aggregate-tables.ts';

/** An aggregate row that does not equal what the sale facts add up to for its key. */
export interface AggregateDrift {
  aggregate: string;
  key: string;
  stored: AggregateFigures;
  recomputed: AggregateFigures;
}

/** What one check found, as `status --json` shows it (`verification`). */
export interface Verification {
  /** Commit time up to which every sale changed is counted as it is, and the aggregates agree with the facts. */
  verified_through: string | null;
  checked_at: string | null;
  /** The open drifts (until `sales-pipeline reconcile --repair`). */
  drift: AggregateDrift[];
  /** Sales changed after verified_through that the aggregates do not count as they are yet (the worker is behind). */
  behind: { sales: number; oldest_sale_id: string | null };
}

export interface CheckOptions {
  /** A sale row's transaction commits within this of its `changed_at`: rows newer than now minus this wait for the next check. */
  settleMs: number;
  /** At most this many changed sales per check (a backlog is checked over several). */
  pageSize: number;
}

/** Whether two figures are the same amounts (`1.5` and `1.50` are). Pure. */
export function sameFigures(a: AggregateFigures, b: AggregateFigures): boolean {
  return (
    BigInt(a.units) === BigInt(b.units) &&
    toCents(a.revenue) === toCents(b.revenue) &&
    BigInt(a.sales) === BigInt(b.sales) &&
    BigInt(a.returns) === BigInt(b.returns) &&
    toCents(a.returnsRevenue) === toCents(b.returnsRevenue)
  );
}

/**
 * The aggregates whose sum is not what the facts add up to (the facts' totals are kept by the database
 * from every write of a fact). Pure: `sums` is a line per aggregate and one for the facts.
 */
export function aggregatesOff(sums: Map<string, AggregateFigures>): string[] {
  const facts = sums.get('facts');
  if (!facts) return [];
  return [...sums].flatMap(([aggregate, figures]) =>
    aggregate !== 'facts' && !sameFigures(figures, facts) ? [aggregate] : [],
  );
}

/**
 * SQL: whether sale `s` is counted by the aggregates as it is, from its fact `f` (`sales s LEFT JOIN
 * analytics.sale_facts f`): a complete sale must be counted with its product, store, day, quantity and
 * amount; any other (pending, cancelled) must count nothing. The verifier's rule, and the backfill's.
 */
export const SALE_COUNTED_AS_IT_IS = `CASE WHEN s.status = 'complete'
                THEN COALESCE(f.counted AND f.product_id = s.product_id AND f.store_id = s.store_id
                              AND f.day = s.sold_on AND f.units = s.quantity AND f.revenue = s.amount, false)
                ELSE f.sale_id IS NULL OR NOT f.counted END`;

/**
 * The changed sales since `from`, up to the settled horizon, each compared with its fact (what the
 * aggregates count of it): a complete sale must be counted with its product, store, day, quantity and
 * amount; any other (pending, cancelled) must count nothing. Returns how many were checked, the last
 * one's time, and the first that does not agree yet.
 */
const CHANGED_SALES = `
  WITH w AS (
    SELECT s.sale_id, s.changed_at, ${SALE_COUNTED_AS_IT_IS} AS agrees
      FROM sales s LEFT JOIN analytics.sale_facts f ON f.sale_id = s.sale_id
     WHERE s.changed_at > COALESCE($1::timestamptz, '-infinity') AND s.changed_at <= $2::timestamptz
     ORDER BY s.changed_at LIMIT $3)
  SELECT count(*)::int AS checked, max(changed_at) AS last,
         count(*) FILTER (WHERE NOT agrees)::int AS behind,
         min(changed_at) FILTER (WHERE NOT agrees) AS first_behind,
         (array_agg(sale_id ORDER BY changed_at) FILTER (WHERE NOT agrees))[1] AS first_behind_id
    FROM w`;

interface ChangedSales {
  checked: number;
  last: Date | null;
  behind: number;
  first_behind: Date | null;
  first_behind_id: string | null;
}

/**
 * One check, in one snapshot: the sales changed since the last check against their facts (incremental:
 * a page of the changed rows, found through an index), and every aggregate table's sum against the facts'
 * totals (the aggregate tables are small). A table whose sum is off is then compared row by row with the
 * facts, to name the drifted rows (a full read of the facts, only then). The result is written back: the
 * new verified_through (it never moves back, and stays while a drift is open), new drifts, and for each
 * new drift one Slack message in the notifier's outbox.
 */
export async function verifyOnce(pool: Pool, options: CheckOptions): Promise<Verification> {
  // withClient: a connection lost between two queries (PostgreSQL restarting) fails this check instead of
  // crashing the worker with an unhandled 'error' event, and the broken client is not pooled again.
  return withClient(pool, (client) => verifyWith(client, options));
}

async function verifyWith(client: PoolClient, options: CheckOptions): Promise<Verification> {
  let locked = false;
  try {
    // Before the snapshot: a repair in progress is waited for, and none starts until this check is written.
    await client.query('SELECT pg_advisory_lock($1)', [VERIFY_LOCK]);
    locked = true;
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const state = (
      await client.query<{ window_from: Date | null; verified_through: Date | null; horizon: Date }>(
        `SELECT window_from, verified_through, clock_timestamp() - make_interval(secs => $1::double precision / 1000) AS horizon
           FROM analytics.verification WHERE id = 1`,
        [options.settleMs],
      )
    ).rows[0];
    if (!state) throw new Error('analytics.verification has no row: run sales-pipeline migrate');
    const changed = (
      await client.query<ChangedSales>(CHANGED_SALES, [state.window_from, state.horizon, options.pageSize])
    ).rows[0] as ChangedSales;
    const sums = new Map(
      (await client.query<Record<string, string>>(SUMS_SQL)).rows.map((r) => [
        r.aggregate as string,
        figuresOf(r, 'a'),
      ]),
    );
    // A table with a drift open is not read row by row again until it is repaired.
    const openBefore = await openDrifts(client);
    const open = new Set(openBefore.map((d) => d.aggregate));
    const found = await locateDrifts(
      client,
      aggregatesOff(sums).filter((aggregate) => !open.has(aggregate)),
      sums,
    );
    // Up to where this check verified: just before the first sale not counted as it is yet; else the
    // last sale of a full page; else the settled horizon.
    const reached = changed.first_behind
      ? new Date(changed.first_behind.getTime() - 1)
      : changed.checked >= options.pageSize && changed.last
        ? changed.last
        : state.horizon;
    const written = await client.query<{ verified_through: Date | null; checked_at: Date }>(
      `UPDATE analytics.verification
          SET window_from = GREATEST(COALESCE(window_from, '-infinity'), $1::timestamptz),
              verified_through = CASE WHEN $2::boolean THEN verified_through
                                      ELSE GREATEST(COALESCE(verified_through, '-infinity'), $1::timestamptz) END,
              checked_at = clock_timestamp(), behind_sales = $3, behind_sale_id = $4
        WHERE id = 1 RETURNING verified_through, checked_at`,
      [reached, found.length > 0 || open.size > 0, changed.behind, changed.first_behind_id],
    );
    for (const drift of found) await recordDrift(client, drift);
    // Found only in tables with none open: every one is new, after the open ones (as drift_id orders them).
    const drift = [...openBefore, ...found].slice(0, 100);
    await client.query('COMMIT');
    const row = written.rows[0];
    return {
      verified_through: row?.verified_through?.toISOString() ?? null,
      checked_at: row?.checked_at.toISOString() ?? null,
      drift,
      behind: { sales: changed.behind, oldest_sale_id: changed.first_behind_id },
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [VERIFY_LOCK]).catch(() => undefined);
  }
}

/** The rows of the tables whose sum is off, each with its stored and recomputed figures. */
async function locateDrifts(
  client: PoolClient,
  off: string[],
  sums: Map<string, AggregateFigures>,
): Promise<AggregateDrift[]> {
  const drifts: AggregateDrift[] = [];
  for (const aggregate of off) {
    if (aggregate === 'revenue_total') {
      drifts.push({
        aggregate,
        key: 'total',
        stored: sums.get('revenue_total') as AggregateFigures,
        recomputed: sums.get('facts') as AggregateFigures,
      });
      continue;
    }
    const table = AGGREGATE_TABLES.find((t) => t.aggregate === aggregate);
    if (!table) continue;
    const { rows } = await client.query<Record<string, string | null>>(rowsDifferingFromFacts(table));
    for (const r of rows)
      drifts.push({ aggregate, key: r.key ?? '', stored: figuresOf(r, 'a'), recomputed: figuresOf(r, 'e') });
  }
  return drifts;
}

/** A drift not recorded yet is recorded, with one Slack message in the outbox (unique per drift). */
async function recordDrift(client: PoolClient, drift: AggregateDrift): Promise<void> {
  const inserted = await client.query<{ drift_id: string }>(
    `INSERT INTO analytics.drifts (aggregate, key, stored, recomputed) VALUES ($1, $2, $3, $4)
     ON CONFLICT (aggregate, key) WHERE repaired_at IS NULL DO NOTHING RETURNING drift_id`,
    [drift.aggregate, drift.key, JSON.stringify(drift.stored), JSON.stringify(drift.recomputed)],
  );
  const id = inserted.rows[0]?.drift_id;
  if (id === undefined) return;
  await client.query(
    `INSERT INTO milestones (rule, subject, step, payload) VALUES ('aggregate_drift', $1, $2, $3)
     ON CONFLICT (rule, subject, step) DO NOTHING`,
    [
      `${drift.aggregate} ${drift.key}`,
      id,
      JSON.stringify({
        aggregate: drift.aggregate,
        key: drift.key,
        stored_revenue: drift.stored.revenue,
        recomputed_revenue: drift.recomputed.revenue,
        stored_units: drift.stored.units,
        recomputed_units: drift.recomputed.units,
      }),
    ],
  );
}

/** The drifts still open, oldest first. */
export async function openDrifts(client: Pick<PoolClient, 'query'>): Promise<AggregateDrift[]> {
  const { rows } = await client.query<{
    aggregate: string;
    key: string;
    stored: AggregateFigures;
    recomputed: AggregateFigures;
  }>(
    `SELECT aggregate, key, stored, recomputed FROM analytics.drifts WHERE repaired_at IS NULL
      ORDER BY drift_id LIMIT 100`,
  );
  return rows.map((r) => ({
    aggregate: r.aggregate,
    key: r.key,
    stored: r.stored,
    recomputed: r.recomputed,
  }));
}
