import { fromCents, toCents, type PoolClient } from '@sales-pipeline/platform';
import type { Contribution } from './decode-change.ts';
import {
  isZeroDelta,
  zeroDelta,
  type Delta,
  type Deltas,
  type Dimension,
  type Fact,
  type StoreDim,
} from './compute-deltas.ts';

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

/** A store's current totals, returns included (what moves with it when its city or region changes). */
export async function storeTotals(client: PoolClient, storeId: string): Promise<Delta> {
  const { rows } = await client.query<{
    units: string;
    revenue: string;
    sales: string;
    returns: string;
    returns_revenue: string;
  }>(
    `SELECT units, revenue::text, sales, returns, returns_revenue::text
       FROM analytics.by_store WHERE store_id = $1 FOR UPDATE`,
    [storeId],
  );
  const row = rows[0];
  return row
    ? {
        units: BigInt(row.units),
        cents: toCents(row.revenue),
        sales: BigInt(row.sales),
        returns: BigInt(row.returns),
        returnsCents: toCents(row.returns_revenue),
      }
    : zeroDelta();
}

/**
 * The aggregate tables by dimension, in the order the statement below updates them. `columns` are the key
 * columns with their types; `watched` tables carry `line_seen_at` for the notifier's latency.
 */
const TABLES: Array<{
  dimension: Dimension;
  table: string;
  columns: Array<[string, string]>;
  watched: boolean;
}> = [
  { dimension: 'product', table: 'analytics.by_product', columns: [['product_id', 'text']], watched: true },
  { dimension: 'store', table: 'analytics.by_store', columns: [['store_id', 'text']], watched: false },
  { dimension: 'day', table: 'analytics.by_day', columns: [['day', 'date']], watched: false },
  { dimension: 'city', table: 'analytics.by_city', columns: [['city', 'text']], watched: false },
  { dimension: 'region', table: 'analytics.by_region', columns: [['region', 'text']], watched: false },
  {
    dimension: 'storeDay',
    table: 'analytics.by_store_day',
    columns: [
      ['store_id', 'text'],
      ['day', 'date'],
    ],
    watched: true,
  },
];

/** The amount columns of every aggregate table, in parameter order, with their types. */
const AMOUNTS: Array<[string, string]> = [
  ['units', 'bigint'],
  ['revenue', 'numeric'],
  ['sales', 'bigint'],
  ['returns', 'bigint'],
  ['returns_revenue', 'numeric'],
];

/** A delta's values in the order of {@link AMOUNTS}, as the text PostgreSQL reads. */
const amountValues = (d: Delta): string[] => [
  d.units.toString(),
  fromCents(d.cents),
  d.sales.toString(),
  d.returns.toString(),
  fromCents(d.returnsCents),
];

/**
 * One statement for every aggregate a batch moves: the total (only when it changes) and one upsert per
 * dimension table from arrays (an empty array upserts nothing), as data-modifying CTEs. Parameters: $1-$5
 * the total's units, revenue, sales, returns and returns revenue, $6 `line_seen_at`, then per table its
 * key arrays and one array per amount column. A batch's aggregates cost one round trip instead of seven.
 */
const ADD_DELTAS = (() => {
  const seen = `$${AMOUNTS.length + 1}::timestamptz`;
  let next = AMOUNTS.length + 2;
  const amountNames = AMOUNTS.map(([name]) => name);
  const parts = TABLES.map(({ dimension, table, columns, watched }) => {
    const keys = columns.map(([, type]) => `$${next++}::${type}[]`);
    const amounts = AMOUNTS.map(([, type]) => `$${next++}::${type}[]`);
    const names = columns.map(([name]) => name).join(', ');
    const short = table.split('.')[1] as string;
    const add = (column: string) => `${column} = ${short}.${column} + EXCLUDED.${column}`;
    return `d_${dimension} AS (
      INSERT INTO ${table} (${names}, ${amountNames.join(', ')}${watched ? ', line_seen_at' : ''})
      SELECT *${watched ? `, ${seen}` : ''} FROM unnest(${[...keys, ...amounts].join(', ')})
      ON CONFLICT (${names}) DO UPDATE SET ${amountNames.map(add).join(', ')}${
        watched ? ', line_seen_at = EXCLUDED.line_seen_at' : ''
      }
      RETURNING 1)`;
  });
  const total = AMOUNTS.map(([name, type], i) => ({ name, param: `$${i + 1}::${type}` }));
  return {
    name: 'analytics-add-deltas',
    text: `WITH total AS (
      UPDATE analytics.revenue_total
         SET ${total.map(({ name, param }) => `${name} = ${name} + ${param}`).join(', ')},
             line_seen_at = ${seen}
       WHERE id = 1 AND (${total.map(({ param }) => `${param} <> 0`).join(' OR ')})
      RETURNING 1),
    ${parts.join(',\n    ')}
    SELECT 1`,
  };
})();

/**
 * Adds the deltas to the aggregate rows (keys sorted: every batch locks rows in the same order).
 * `lineSeenAt` (epoch ms), the earliest feed line of the batch, is stamped on the rows the notifier
 * watches, for its line → milestone latency.
 */
export async function applyDeltas(client: PoolClient, deltas: Deltas, lineSeenAt?: number): Promise<void> {
  const seen = lineSeenAt === undefined ? null : new Date(lineSeenAt).toISOString();
  const values: unknown[] = [...amountValues(deltas.total), seen];
  let moved = !isZeroDelta(deltas.total);
  for (const { dimension, columns } of TABLES) {
    const entries = [...deltas.by[dimension].entries()]
      .filter(([, d]) => !isZeroDelta(d))
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length > 0) moved = true;
    // A store × day key is "store|day": one array per key column.
    const keys = columns.map((_, i) =>
      entries.map(([k]) => (columns.length === 1 ? k : (k.split('|')[i] as string))),
    );
    const amounts = entries.map(([, d]) => amountValues(d));
    values.push(...keys, ...AMOUNTS.map((_, i) => amounts.map((a) => a[i])));
  }
  if (moved) await client.query({ ...ADD_DELTAS, values });
}
