import pg from 'pg';
import { UNKNOWN_REGION } from '@sales-pipeline/platform';
import type { Totals } from './report.ts';

export const EXPLAIN_DIMENSIONS = ['total', 'product', 'region', 'city', 'store', 'day'] as const;
export type ExplainDimension = (typeof EXPLAIN_DIMENSIONS)[number];

/** One sale, return or cancelled sale behind an aggregate row, down to where it came from. */
export interface Contribution {
  sale_id: string;
  status: 'complete' | 'cancelled';
  source: {
    feed: string;
    line: number;
    /** The feed version that set the sale (snapshot feeds), or null. */
    feed_version: number | null;
    /** The sale's own id when it has one (an id column, or HTTP: the source is `feed`). */
    id: string | null;
  };
  kafka: { topic: string | null; partition: number | null; offset: string | null };
  stored_at: string;
  sold_on: string;
  product_id: string;
  store_id: string;
  quantity: number;
  unit_price: string | null;
  amount: string | null;
  /** Every version of a corrected sale, in order (empty for a sale never amended nor cancelled). */
  versions: Array<{
    rev: string;
    op: string;
    feed_version: number | null;
    line: number | null;
    quantity: number | null;
    recorded_at: string;
  }>;
}

export interface Explanation {
  dimension: ExplainDimension;
  key: string;
  /** The aggregate row as stored (null when there is none). */
  aggregate: Totals | null;
  /** The sum of every contribution (all pages), computed in the database. */
  sum: Totals & { cancelled: number };
  equal: boolean;
  /** Why they differ: sales not counted yet (the analytics worker is behind), or drift. */
  difference: null | { reason: 'behind' | 'drift'; not_counted: number; detail: string };
  contributions: Contribution[];
  page: { limit: number; after: string | null; next: string | null };
}

/** The aggregate table and key column of each dimension. */
const AGGREGATES: Record<ExplainDimension, { table: string; where: string }> = {
  total: { table: 'analytics.revenue_total', where: 'a.id = 1' },
  product: { table: 'analytics.by_product', where: 'a.product_id = $1' },
  region: { table: 'analytics.by_region', where: 'a.region = $1' },
  city: { table: 'analytics.by_city', where: 'a.city = $1' },
  store: { table: 'analytics.by_store', where: 'a.store_id = $1' },
  day: { table: 'analytics.by_day', where: 'a.day = $1::date' },
};

/**
 * Which sales an aggregate row is made of: as the analytics worker files them, by product, store and day
 * from the sale, by city and region from the store as the worker has seen it (`analytics.store_dim`,
 * `Inconnue` while unseen).
 */
const SALES_OF: Record<ExplainDimension, string> = {
  total: 'true',
  product: 's.product_id = $1',
  region: `COALESCE(d.region, '${UNKNOWN_REGION}') = $1`,
  city: `COALESCE(d.city, '${UNKNOWN_REGION}') = $1`,
  store: 's.store_id = $1',
  day: 's.sold_on = $1::date',
};

const FROM_SALES = `FROM sales s LEFT JOIN analytics.store_dim d ON d.store_id = s.store_id`;

/**
 * Explains one aggregate row: every sale and return it is made of (and the cancelled sales that were),
 * paged by sale id (`limit`, `after`), each with its feed and line (or HTTP source and id), its feed
 * version, its Kafka position, when it was stored, its quantity, unit price and amount, and the versions
 * of a corrected sale; with the aggregate as stored, the sum of all its contributions (in the database,
 * not from the page) and whether they agree; when they do not, whether the worker is behind or it is
 * drift. Read as the reporting role, in one snapshot.
 */
export async function explain(
  databaseUrl: string,
  dimension: ExplainDimension,
  key: string,
  options: { limit: number; after?: string | undefined },
): Promise<Explanation> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await explainWith(client, dimension, key, options);
  } finally {
    await client.end();
  }
}

/** {@link explain} through a client of the caller's (the dashboard's pool). */
export async function explainWith(
  client: Pick<pg.Client, 'query'>,
  dimension: ExplainDimension,
  key: string,
  options: { limit: number; after?: string | undefined },
): Promise<Explanation> {
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const params = dimension === 'total' ? [] : [key];
    const stored = await client.query<Record<string, string>>(
      `SELECT a.units, a.sales, a.returns, (a.revenue + a.returns_revenue)::text AS gross_revenue,
              a.returns_revenue::text AS returns_revenue, a.revenue::text AS revenue
         FROM ${AGGREGATES[dimension].table} a WHERE ${AGGREGATES[dimension].where}`,
      params,
    );
    const where = SALES_OF[dimension];
    const sum = (
      await client.query<Record<string, string>>(
        `SELECT coalesce(sum(s.quantity) FILTER (WHERE s.status = 'complete'), 0) AS units,
                count(*) FILTER (WHERE s.status = 'complete' AND s.quantity > 0) AS sales,
                count(*) FILTER (WHERE s.status = 'complete' AND s.quantity < 0) AS returns,
                coalesce(sum(s.amount) FILTER (WHERE s.status = 'complete' AND s.quantity > 0), 0)::numeric(16, 2)::text AS gross_revenue,
                coalesce(-sum(s.amount) FILTER (WHERE s.status = 'complete' AND s.quantity < 0), 0)::numeric(16, 2)::text AS returns_revenue,
                coalesce(sum(s.amount) FILTER (WHERE s.status = 'complete'), 0)::numeric(16, 2)::text AS revenue,
                count(*) FILTER (WHERE s.status = 'cancelled') AS cancelled,
                count(*) FILTER (WHERE s.status = 'complete' AND NOT EXISTS (
                  SELECT 1 FROM analytics.sale_facts f
                   WHERE f.sale_id = s.sale_id AND f.counted AND f.units = s.quantity AND f.revenue = s.amount
                     AND f.product_id = s.product_id AND f.store_id = s.store_id AND f.day = s.sold_on
                ) OR s.status <> 'complete' AND EXISTS (
                  SELECT 1 FROM analytics.sale_facts f WHERE f.sale_id = s.sale_id AND f.counted
                )) AS not_counted
           ${FROM_SALES} WHERE ${where} AND s.status IN ('complete', 'cancelled')`,
        params,
      )
    ).rows[0] as Record<string, string>;
    const after = options.after ?? null;
    const page = await client.query<{
      sale_id: string;
      status: 'complete' | 'cancelled';
      feed: string;
      line_number: string;
      feed_version: number | null;
      kafka_topic: string | null;
      kafka_partition: number | null;
      kafka_offset: string | null;
      ingested_at: Date;
      sold_on: string;
      product_id: string;
      store_id: string;
      quantity: number;
      unit_price: string | null;
      amount: string | null;
    }>(
      `SELECT s.sale_id, s.status, s.feed, s.line_number::text, s.feed_version, s.kafka_topic, s.kafka_partition,
              s.kafka_offset::text, s.ingested_at, to_char(s.sold_on, 'YYYY-MM-DD') AS sold_on, s.product_id,
              s.store_id, s.quantity, s.unit_price::text, s.amount::text
         ${FROM_SALES}
        WHERE ${where} AND s.status IN ('complete', 'cancelled')
          AND ($${params.length + 1}::text IS NULL OR s.sale_id > $${params.length + 1})
        ORDER BY s.sale_id LIMIT $${params.length + 2}`,
      [...params, after, options.limit + 1],
    );
    const rows = page.rows.slice(0, options.limit);
    const versions = await client.query<{
      sale_id: string;
      rev: string;
      op: string;
      feed_version: number | null;
      line_number: string | null;
      quantity: number | null;
      recorded_at: Date;
    }>(
      `SELECT v.sale_id, v.rev::text, v.op, v.feed_version, v.line_number::text, v.quantity, v.recorded_at
         FROM sale_versions v
        WHERE v.sale_id = ANY($1::text[])
          AND EXISTS (SELECT 1 FROM sale_versions c WHERE c.sale_id = v.sale_id AND c.op <> 'sale')
        ORDER BY v.sale_id, v.rev`,
      [rows.map((r) => r.sale_id)],
    );
    await client.query('COMMIT');
    const bySale = new Map<string, Contribution['versions']>();
    for (const v of versions.rows) {
      const list = bySale.get(v.sale_id) ?? [];
      list.push({
        rev: v.rev,
        op: v.op,
        feed_version: v.feed_version,
        line: v.line_number === null ? null : Number(v.line_number),
        quantity: v.quantity,
        recorded_at: v.recorded_at.toISOString(),
      });
      bySale.set(v.sale_id, list);
    }
    const totals = (r: Record<string, string>): Totals => ({
      units: Number(r.units),
      sales: Number(r.sales),
      returns: Number(r.returns),
      gross_revenue: r.gross_revenue as string,
      returns_revenue: r.returns_revenue as string,
      revenue: r.revenue as string,
    });
    const aggregate = stored.rows[0] ? totals(stored.rows[0]) : null;
    const summed = totals(sum);
    const zero: Totals = {
      units: 0,
      sales: 0,
      returns: 0,
      gross_revenue: '0.00',
      returns_revenue: '0.00',
      revenue: '0.00',
    };
    const equal = JSON.stringify(aggregate ?? zero) === JSON.stringify(summed);
    const notCounted = Number(sum.not_counted);
    return {
      dimension,
      key,
      aggregate,
      sum: { ...summed, cancelled: Number(sum.cancelled) },
      equal,
      difference: equal
        ? null
        : notCounted > 0
          ? {
              reason: 'behind',
              not_counted: notCounted,
              detail: `${notCounted} sale(s) not counted yet: the analytics worker is behind; ask again in a moment`,
            }
          : {
              reason: 'drift',
              not_counted: 0,
              detail:
                'every sale is counted, yet the aggregate differs from their sum: drift (a hand edit, a bug); `sales-pipeline reconcile` lists every difference',
            },
      contributions: rows.map((r) => ({
        sale_id: r.sale_id,
        status: r.status,
        source: {
          feed: r.feed,
          line: Number(r.line_number),
          feed_version: r.feed_version,
          id: /\/(?:id|http)\/(.+)$/.exec(r.sale_id)?.[1] ?? null,
        },
        kafka: { topic: r.kafka_topic, partition: r.kafka_partition, offset: r.kafka_offset },
        stored_at: r.ingested_at.toISOString(),
        sold_on: r.sold_on,
        product_id: r.product_id,
        store_id: r.store_id,
        quantity: r.quantity,
        unit_price: r.unit_price,
        amount: r.amount,
        versions: bySale.get(r.sale_id) ?? [],
      })),
      page: {
        limit: options.limit,
        after,
        next: page.rows.length > options.limit ? (rows.at(-1)?.sale_id ?? null) : null,
      },
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The explanation as text: the aggregate, the sum and the verdict, then a line per sale. */
export function formatExplanation(e: Explanation): string {
  const money = (m: string | null) => (m === null ? '—' : m);
  const lines = [
    `${e.dimension}${e.dimension === 'total' ? '' : ` ${e.key}`}: aggregate ${e.aggregate ? `${e.aggregate.revenue} € net (${e.aggregate.sales} sales, ${e.aggregate.returns} returns, ${e.aggregate.units} units)` : 'none'}`,
    `  sum of its sales: ${e.sum.revenue} € net (${e.sum.sales} sales, ${e.sum.returns} returns, ${e.sum.units} units; ${e.sum.cancelled} cancelled)`,
    e.equal ? '  equal: yes' : `  equal: NO — ${e.difference?.detail ?? ''}`,
    '',
  ];
  for (const c of e.contributions) {
    const where = c.source.id
      ? `${c.source.feed} id ${c.source.id}`
      : `${c.source.feed} line ${c.source.line}`;
    const version = c.source.feed_version === null ? '' : ` v${c.source.feed_version}`;
    const kafka = c.kafka.topic ? ` ${c.kafka.topic}[${c.kafka.partition}]@${c.kafka.offset}` : '';
    lines.push(
      `${c.sale_id}  ${c.status === 'cancelled' ? 'CANCELLED ' : ''}${c.sold_on} ${c.product_id} × ${c.quantity} @ ${money(c.unit_price)} = ${money(c.amount)} €  store ${c.store_id}  (${where}${version};${kafka} stored ${c.stored_at})`,
    );
    for (const v of c.versions)
      lines.push(
        `    rev ${v.rev} ${v.op}${v.feed_version === null ? '' : ` v${v.feed_version}`}${v.quantity === null ? '' : ` × ${v.quantity}`} at ${v.recorded_at}`,
      );
  }
  if (e.page.next) lines.push('', `more: --after ${e.page.next}`);
  return lines.join('\n');
}
