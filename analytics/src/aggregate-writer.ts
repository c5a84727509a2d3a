import type { PoolClient } from '@sales-pipeline/platform';
import type { Contribution } from './decode-change.ts';
import { fromCents, toCents } from './decode-change.ts';
import type { Delta, Deltas, Dimension, Fact, StoreDim } from './compute-deltas.ts';

/** Orders sale batches (shared) against store moves (exclusive), as the consumer does for references. */
const STORE_DIM_LOCK = 0x414e4c59; // 'ANLY'

export async function lockForSales(client: PoolClient): Promise<void> {
  await client.query({
    name: 'analytics-share-store-dims',
    text: 'SELECT pg_advisory_xact_lock_shared($1)',
    values: [STORE_DIM_LOCK],
  });
}

export async function lockForStores(client: PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [STORE_DIM_LOCK]);
}

/** The recorded contribution of each sale, locked for the transaction. */
export async function loadFacts(client: PoolClient, saleIds: string[]): Promise<Map<string, Fact>> {
  const { rows } = await client.query<{
    sale_id: string;
    product_id: string | null;
    store_id: string | null;
    day: string | null;
    units: string;
    revenue: string;
    counted: boolean;
    lsn: string;
  }>({
    name: 'analytics-load-facts',
    text: `SELECT sale_id, product_id, store_id, to_char(day, 'YYYY-MM-DD') AS day, units, revenue, counted, lsn
             FROM analytics.sale_facts WHERE sale_id = ANY($1::text[]) FOR UPDATE`,
    values: [saleIds],
  });
  return new Map(
    rows.map((r) => [
      r.sale_id,
      {
        lsn: BigInt(r.lsn),
        contribution: {
          productId: r.product_id,
          storeId: r.store_id,
          day: r.day,
          units: BigInt(r.units),
          cents: toCents(r.revenue),
          counted: r.counted,
        } satisfies Contribution,
      },
    ]),
  );
}

export async function saveFacts(client: PoolClient, facts: Map<string, Fact>): Promise<void> {
  if (facts.size === 0) return;
  const entries = [...facts.entries()];
  await client.query({
    name: 'analytics-save-facts',
    text: `INSERT INTO analytics.sale_facts (sale_id, product_id, store_id, day, units, revenue, counted, lsn)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bigint[], $6::numeric[], $7::boolean[], $8::bigint[])
     ON CONFLICT (sale_id) DO UPDATE SET product_id = EXCLUDED.product_id, store_id = EXCLUDED.store_id,
       day = EXCLUDED.day, units = EXCLUDED.units, revenue = EXCLUDED.revenue, counted = EXCLUDED.counted, lsn = EXCLUDED.lsn`,
    values: [
      entries.map(([id]) => id),
      entries.map(([, f]) => f.contribution.productId),
      entries.map(([, f]) => f.contribution.storeId),
      entries.map(([, f]) => f.contribution.day),
      entries.map(([, f]) => f.contribution.units.toString()),
      entries.map(([, f]) => fromCents(f.contribution.cents)),
      entries.map(([, f]) => f.contribution.counted),
      entries.map(([, f]) => f.lsn.toString()),
    ],
  });
}

export async function loadStoreDims(
  client: PoolClient,
  storeIds: string[],
): Promise<Map<string, StoreDim & { lsn: bigint }>> {
  const { rows } = await client.query<{ store_id: string; city: string; region: string; lsn: string }>({
    name: 'analytics-load-store-dims',
    text: 'SELECT store_id, city, region, lsn FROM analytics.store_dim WHERE store_id = ANY($1::text[])',
    values: [storeIds],
  });
  return new Map(rows.map((r) => [r.store_id, { city: r.city, region: r.region, lsn: BigInt(r.lsn) }]));
}

export async function saveStoreDim(
  client: PoolClient,
  storeId: string,
  dim: StoreDim,
  lsn: bigint,
): Promise<void> {
  await client.query(
    `INSERT INTO analytics.store_dim (store_id, city, region, lsn) VALUES ($1, $2, $3, $4)
     ON CONFLICT (store_id) DO UPDATE SET city = EXCLUDED.city, region = EXCLUDED.region, lsn = EXCLUDED.lsn`,
    [storeId, dim.city, dim.region, lsn.toString()],
  );
}

/** A store's current totals (what moves with it when its city or region changes). */
export async function storeTotals(client: PoolClient, storeId: string): Promise<Delta> {
  const { rows } = await client.query<{ units: string; revenue: string; sales: string }>(
    'SELECT units, revenue, sales FROM analytics.by_store WHERE store_id = $1 FOR UPDATE',
    [storeId],
  );
  const row = rows[0];
  return row
    ? { units: BigInt(row.units), cents: toCents(row.revenue), sales: BigInt(row.sales) }
    : { units: 0n, cents: 0n, sales: 0n };
}

const TABLES: Record<Dimension, { table: string; key: string; type: string }> = {
  product: { table: 'analytics.by_product', key: 'product_id', type: 'text' },
  store: { table: 'analytics.by_store', key: 'store_id', type: 'text' },
  day: { table: 'analytics.by_day', key: 'day', type: 'date' },
  city: { table: 'analytics.by_city', key: 'city', type: 'text' },
  region: { table: 'analytics.by_region', key: 'region', type: 'text' },
  storeDay: { table: 'analytics.by_store_day', key: 'store_id, day', type: '' },
};

/**
 * Adds the deltas to the aggregate rows: one statement per dimension, keys in a fixed order (no deadlock).
 * `lineSeenAt` (epoch ms), the earliest feed line of the batch, is stamped on the rows the notifier
 * watches, for its line → milestone latency.
 */
export async function applyDeltas(client: PoolClient, deltas: Deltas, lineSeenAt?: number): Promise<void> {
  const seen = lineSeenAt === undefined ? null : new Date(lineSeenAt).toISOString();
  const t = deltas.total;
  if (t.units !== 0n || t.cents !== 0n || t.sales !== 0n) {
    await client.query({
      name: 'analytics-add-total',
      text: `UPDATE analytics.revenue_total SET units = units + $1, revenue = revenue + $2, sales = sales + $3,
               line_seen_at = $4 WHERE id = 1`,
      values: [t.units.toString(), fromCents(t.cents), t.sales.toString(), seen],
    });
  }
  for (const [dimension, map] of Object.entries(deltas.by) as Array<[Dimension, Map<string, Delta>]>) {
    const entries = [...map.entries()]
      .filter(([, d]) => d.units !== 0n || d.cents !== 0n || d.sales !== 0n)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) continue;
    const { table, key, type } = TABLES[dimension];
    const amounts = [
      entries.map(([, d]) => d.units.toString()),
      entries.map(([, d]) => fromCents(d.cents)),
      entries.map(([, d]) => d.sales.toString()),
    ];
    if (dimension === 'storeDay') {
      await client.query({
        name: 'analytics-add-store-day',
        text: `INSERT INTO analytics.by_store_day (store_id, day, units, revenue, sales, line_seen_at)
         SELECT *, $6::timestamptz FROM unnest($1::text[], $2::date[], $3::bigint[], $4::numeric[], $5::bigint[])
         ON CONFLICT (store_id, day) DO UPDATE SET units = by_store_day.units + EXCLUDED.units,
           revenue = by_store_day.revenue + EXCLUDED.revenue, sales = by_store_day.sales + EXCLUDED.sales,
           line_seen_at = EXCLUDED.line_seen_at`,
        values: [
          entries.map(([k]) => k.split('|')[0]),
          entries.map(([k]) => k.split('|')[1]),
          ...amounts,
          seen,
        ],
      });
      continue;
    }
    if (dimension === 'product') {
      await client.query({
        name: 'analytics-add-product',
        text: `INSERT INTO analytics.by_product (product_id, units, revenue, sales, line_seen_at)
         SELECT *, $5::timestamptz FROM unnest($1::text[], $2::bigint[], $3::numeric[], $4::bigint[])
         ON CONFLICT (product_id) DO UPDATE SET units = by_product.units + EXCLUDED.units,
           revenue = by_product.revenue + EXCLUDED.revenue, sales = by_product.sales + EXCLUDED.sales,
           line_seen_at = EXCLUDED.line_seen_at`,
        values: [entries.map(([k]) => k), ...amounts, seen],
      });
      continue;
    }
    // One name per table: the text differs by table and dimension, never between calls of one.
    await client.query({
      name: `analytics-add-${dimension}`,
      text: `INSERT INTO ${table} (${key}, units, revenue, sales)
       SELECT * FROM unnest($1::${type}[], $2::bigint[], $3::numeric[], $4::bigint[])
       ON CONFLICT (${key}) DO UPDATE SET units = ${table}.units + EXCLUDED.units,
         revenue = ${table}.revenue + EXCLUDED.revenue, sales = ${table}.sales + EXCLUDED.sales`,
      values: [entries.map(([k]) => k), ...amounts],
    });
  }
}
