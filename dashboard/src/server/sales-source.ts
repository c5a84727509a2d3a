import pg from 'pg';
import { milestoneSentence } from '@sales-pipeline/platform';
import type {
  CorrectionView,
  DeadLettersSection,
  MilestoneView,
  MinutePoint,
  SalesSection,
  SourceView,
} from '../shared/types.ts';

/**
 * The dashboard's reads, all through the read-only reporting role (DATABASE_READER_URL): a cheap
 * fingerprint of the aggregates polled every half second, and, when it changed, the sections of the page.
 */

export type DeadLetterQuery = (pool: pg.Pool, limit: number) => Promise<DeadLettersSection>;

export function createReaderPool(readerUrl: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: readerUrl,
    max: 2,
    application_name: 'sales-pipeline-dashboard',
    connectionTimeoutMillis: 3000,
    query_timeout: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that drops (PostgreSQL restarted) is replaced on the next query.
  pool.on('error', () => undefined);
  return pool;
}

/** What tells each section of the page that it changed: one light query (primary-key and partial indexes). */
export interface Fingerprint {
  revenue: string;
  units: number;
  sales: number;
  /** Changes when the totals, a name, a store's city, the pending sales or the held feeds change. */
  salesKey: string;
  milestonesKey: string;
  deadLettersKey: string;
}

export async function readFingerprint(pool: pg.Pool): Promise<Fingerprint> {
  const { rows } = await pool.query<{
    revenue: string;
    units: string;
    sales: string;
    returns: string;
    milestones: string;
    rejected: string;
    pending: string;
    products: string;
    stores: string;
    held: string;
  }>(
    `SELECT t.revenue::text AS revenue, t.units, t.sales, t.returns,
            (SELECT coalesce(max(milestone_id), 0) || '/' || count(*) FILTER (WHERE status = 'pending')
               FROM milestones) AS milestones,
            (SELECT coalesce(max(rejected_id), 0) FROM rejected_rows) AS rejected,
            (SELECT count(*) FROM sales WHERE status = 'pending') AS pending,
            (SELECT coalesce(max(updated_at)::text, '') || '/' || count(*) FROM products) AS products,
            (SELECT coalesce(max(lsn), 0) FROM analytics.store_dim) AS stores,
            (SELECT count(*) || '/' || coalesce(max(held_at)::text, '') FROM feed_holds
              WHERE accepted_at IS NULL) AS held
       FROM analytics.revenue_total t WHERE t.id = 1`,
  );
  const r = rows[0];
  if (!r) throw new Error('analytics.revenue_total has no row: are the migrations applied?');
  return {
    revenue: r.revenue,
    units: Number(r.units),
    sales: Number(r.sales),
    salesKey: [r.revenue, r.units, r.sales, r.returns, r.pending, r.products, r.stores, r.held].join('|'),
    milestonesKey: r.milestones,
    deadLettersKey: `${r.rejected}|${r.pending}`,
  };
}

/**
 * The sales counted per minute in the last hour (one scan, at start) and the total, in one snapshot: net
 * revenue and units, sale lines, as analytics.revenue_total counts them.
 */
export async function readMinuteSeed(
  pool: pg.Pool,
  minutes: number,
): Promise<{ points: MinutePoint[]; total: { revenue: string; units: number; sales: number } }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const points = await client.query<{ minute: string; revenue: string; units: string; sales: string }>(
      `SELECT (extract(epoch FROM date_trunc('minute', ingested_at)) * 1000)::bigint AS minute,
              sum(amount)::text AS revenue, sum(quantity) AS units,
              count(*) FILTER (WHERE quantity > 0) AS sales
         FROM sales
        WHERE status = 'complete' AND ingested_at >= date_trunc('minute', now()) - make_interval(mins => $1)
        GROUP BY 1 ORDER BY 1`,
      [minutes - 1],
    );
    const total = await client.query<{ revenue: string; units: string; sales: string }>(
      'SELECT revenue::text AS revenue, units, sales FROM analytics.revenue_total WHERE id = 1',
    );
    await client.query('COMMIT');
    const t = total.rows[0];
    return {
      points: points.rows.map((p) => ({
        minute: Number(p.minute),
        revenue: p.revenue,
        units: Number(p.units),
        sales: Number(p.sales),
      })),
      total: { revenue: t?.revenue ?? '0.00', units: Number(t?.units ?? 0), sales: Number(t?.sales ?? 0) },
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

type Row = Record<string, string | null>;
const n = (v: string | null | undefined) => Number(v ?? 0);
/** Milliseconds since the epoch (bigint text) as ISO-8601. */
const iso = (ms: string | null | undefined) => new Date(Number(ms ?? 0)).toISOString();

/** The figures of an aggregate row `a`, each as text: net units and revenue, sale and return lines. */
const FIGURES = `a.units::text, a.sales::text, a.returns::text, (a.revenue + a.returns_revenue)::text AS gross_revenue,
       a.returns_revenue::text AS returns_revenue, a.revenue::text AS revenue`;
/** The rows shown: those with a sale or a return counted. */
const COUNTED = '(a.sales <> 0 OR a.returns <> 0)';

/**
 * The sales section in one round trip and one consistent snapshot: the same queries as `sales-pipeline
 * report` (analytics/src/report.ts), with the stores limited to the best `storeLimit`, then the last
 * `correctionLimit` corrections and the held feeds.
 */
export async function readSales(
  pool: pg.Pool,
  storeLimit = 10,
  correctionLimit = 10,
): Promise<
  Omit<SalesSection, 'perMinute' | 'at' | 'sources'> & { sources: Array<Omit<SourceView, 'perSecond'>> }
> {
  const limit = Math.max(1, Math.floor(storeLimit));
  const corrections = Math.max(1, Math.floor(correctionLimit));
  const results = (await pool.query(
    `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
     SELECT ${FIGURES} FROM analytics.revenue_total a WHERE a.id = 1;
     SELECT a.product_id, p.name, ${FIGURES} FROM analytics.by_product a
       LEFT JOIN products p USING (product_id) WHERE ${COUNTED} ORDER BY a.revenue DESC, a.product_id;
     SELECT a.region, ${FIGURES} FROM analytics.by_region a WHERE ${COUNTED} ORDER BY a.revenue DESC, a.region;
     SELECT a.city, (SELECT min(region) FROM analytics.store_dim d WHERE d.city = a.city) AS region, ${FIGURES}
       FROM analytics.by_city a WHERE ${COUNTED} ORDER BY a.revenue DESC, a.city;
     SELECT a.store_id, d.city, d.region, ${FIGURES} FROM analytics.by_store a
       LEFT JOIN analytics.store_dim d USING (store_id) WHERE ${COUNTED} ORDER BY a.revenue DESC, a.store_id
       LIMIT ${limit};
     SELECT to_char(a.day, 'YYYY-MM-DD') AS day, ${FIGURES} FROM analytics.by_day a
       WHERE ${COUNTED} ORDER BY a.day;
     SELECT (SELECT count(*) FROM rejected_rows)::text AS rejected,
            (SELECT count(*) FROM sales WHERE status = 'pending')::text AS pending;
     SELECT sale_id, rev::text, op, feed, product_id, store_id, quantity::text,
            (extract(epoch FROM recorded_at) * 1000)::bigint::text AS recorded_ms
       FROM sale_versions WHERE op IN ('amendment', 'cancellation')
      ORDER BY recorded_at DESC, sale_id, rev DESC LIMIT ${corrections};
     SELECT feed, reason, cancels::text, live_sales::text,
            (extract(epoch FROM held_at) * 1000)::bigint::text AS held_ms
       FROM feed_holds WHERE accepted_at IS NULL ORDER BY held_at, feed;
     SELECT (extract(epoch FROM verified_through) * 1000)::bigint::text AS through_ms,
            (extract(epoch FROM checked_at) * 1000)::bigint::text AS checked_ms, behind_sales::text
       FROM analytics.verification WHERE id = 1;
     SELECT aggregate, key, stored->>'revenue' AS stored_revenue, recomputed->>'revenue' AS recomputed_revenue,
            (extract(epoch FROM detected_at) * 1000)::bigint::text AS detected_ms
       FROM analytics.drifts WHERE repaired_at IS NULL ORDER BY drift_id LIMIT 20;
     SELECT a.feed, (extract(epoch FROM a.last_growth_at) * 1000)::bigint::text AS grew_ms,
            (a.stale_since IS NOT NULL)::text AS stale, a.lines::text AS lines, a.kind,
            coalesce(r.rejected, 0)::text AS rejected
       FROM feed_activity a
       LEFT JOIN (SELECT feed, count(*) AS rejected FROM rejected_rows GROUP BY feed) r USING (feed)
      ORDER BY a.feed;
     COMMIT;`,
  )) as unknown as Array<pg.QueryResult<Row>>;
  const [, total, products, regions, cities, stores, days, quality, changes, held, verified, drifts, feeds] =
    results.map((r) => r.rows);
  const b = (r: Row | undefined) => ({
    units: n(r?.units),
    sales: n(r?.sales),
    returns: n(r?.returns),
    grossRevenue: r?.gross_revenue ?? '0.00',
    returnsRevenue: r?.returns_revenue ?? '0.00',
    revenue: r?.revenue ?? '0.00',
  });
  return {
    totals: b(total?.[0]),
    byProduct: (products ?? []).map((r) => ({
      productId: r.product_id ?? '',
      name: r.name ?? null,
      ...b(r),
    })),
    byRegion: (regions ?? []).map((r) => ({ region: r.region ?? '', ...b(r) })),
    byCity: (cities ?? []).map((r) => ({ city: r.city ?? '', region: r.region ?? null, ...b(r) })),
    bestStores: (stores ?? []).map((r) => ({
      storeId: r.store_id ?? '',
      city: r.city ?? null,
      region: r.region ?? null,
      ...b(r),
    })),
    byDay: (days ?? []).map((r) => ({ day: r.day ?? '', ...b(r) })),
    quality: { rejectedRows: n(quality?.[0]?.rejected), pendingSales: n(quality?.[0]?.pending) },
    corrections: (changes ?? []).map((r) => ({
      saleId: r.sale_id ?? '',
      rev: n(r.rev),
      op: r.op as CorrectionView['op'],
      feed: r.feed ?? '',
      productId: r.product_id ?? null,
      storeId: r.store_id ?? null,
      quantity: r.quantity === null || r.quantity === undefined ? null : Number(r.quantity),
      recordedAt: iso(r.recorded_ms),
    })),
    heldFeeds: (held ?? []).map((r) => ({
      feed: r.feed ?? '',
      reason: r.reason ?? '',
      cancels: n(r.cancels),
      liveSales: n(r.live_sales),
      heldAt: iso(r.held_ms),
    })),
    trust: {
      verifiedThrough: verified?.[0]?.through_ms ? iso(verified[0].through_ms) : null,
      checkedAt: verified?.[0]?.checked_ms ? iso(verified[0].checked_ms) : null,
      behindSales: n(verified?.[0]?.behind_sales),
      drift: (drifts ?? []).map((r) => ({
        aggregate: r.aggregate ?? '',
        key: r.key ?? '',
        storedRevenue: r.stored_revenue ?? '0.00',
        recomputedRevenue: r.recomputed_revenue ?? '0.00',
        detectedAt: iso(r.detected_ms),
      })),
      feeds: (feeds ?? []).map((r) => ({
        name: r.feed ?? '',
        lastGrowthAt: iso(r.grew_ms),
        stale: r.stale === 'true',
      })),
    },
    sources: (feeds ?? []).map((r) => ({
      name: r.feed ?? '',
      kind: r.kind === 'http' || r.kind === 'feed' ? r.kind : null,
      lines: n(r.lines),
      rejected: n(r.rejected),
      lastGrowthAt: iso(r.grew_ms),
      stale: r.stale === 'true',
    })),
  };
}

/** The last milestones of the outbox, each with the sentence the notifier posts to Slack. */
export async function readMilestones(pool: pg.Pool, limit = 10): Promise<MilestoneView[]> {
  const { rows } = await pool.query<{
    milestone_id: string;
    rule: 'revenue_total' | 'product_units' | 'big_sale' | 'store_best_day';
    subject: string;
    step: string;
    payload: Record<string, string | number | null>;
    status: string;
    detected_at: Date;
    sent_at: Date | null;
  }>(
    `SELECT milestone_id, rule, subject, step::text, payload, status, detected_at, sent_at
       FROM milestones ORDER BY milestone_id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => {
    // As the notifier formats it when it claims the milestone (notifier/src/notify.ts).
    const milestone = {
      rule: r.rule,
      subject: r.subject,
      step: r.step.replace(/\.00$/, ''),
      payload: r.payload,
    };
    const context = {
      productName: (r.payload.product_name as string | null) ?? null,
      city: (r.payload.city as string | null) ?? null,
    };
    const sentence = (language: 'fr' | 'en') => {
      try {
        return milestoneSentence(milestone, context, language) ?? `${r.rule} ${r.subject} ${r.step}`;
      } catch {
        return `${r.rule} ${r.subject} ${r.step}`;
      }
    };
    return {
      id: Number(r.milestone_id),
      rule: r.rule,
      subject: r.subject,
      status: r.status,
      detectedAt: r.detected_at.toISOString(),
      sentAt: r.sent_at?.toISOString() ?? null,
      text: { fr: sentence('fr'), en: sentence('en') },
    };
  });
}

export async function readDeadLetters(
  pool: pg.Pool,
  query: DeadLetterQuery,
  limit = 20,
): Promise<DeadLettersSection> {
  return query(pool, limit);
}
