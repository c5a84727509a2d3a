import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ProductMessage, SaleMessage, StoreMessage } from '@sales-pipeline/platform';
import { copyText, pgSafeText } from './decode-message.ts';
import type { Rejection } from './rejection.ts';

/**
 * Serializes reference changes against sale inserts: a sale batch holds it shared, a reference batch
 * exclusively. Without it, a sale inserted as pending while its product commits in another transaction
 * could be missed by the completion step and stay pending.
 */
const REFERENCE_LOCK = 0x53414c45; // 'SALE'

/** The sale columns staged for {@link insertSales}, in order. */
const STAGED = `sale_id, sold_on, product_id, store_id, quantity, feed, line_number, kafka_offset, line_seen_at, bulk`;

/**
 * The insert of staged sales (from `source`): prices each sale from the current products (the unit price is
 * fixed at ingest), marks it pending when its product or store is not known yet, keeps one row per sale
 * id, and ignores sale ids already stored.
 */
const insertStaged = (source: string, topic: string, partition: string) =>
  `INSERT INTO sales (sale_id, sold_on, product_id, store_id, quantity, unit_price, amount, status, feed, line_number, line_seen_at,
                     kafka_topic, kafka_partition, kafka_offset, bulk)
     SELECT b.sale_id, b.sold_on, b.product_id, b.store_id, b.quantity,
            CASE WHEN st.store_id IS NOT NULL THEN p.unit_price END,
            CASE WHEN st.store_id IS NOT NULL THEN p.unit_price * b.quantity END,
            CASE WHEN p.product_id IS NOT NULL AND st.store_id IS NOT NULL THEN 'complete' ELSE 'pending' END,
            b.feed, b.line_number, b.line_seen_at, ${topic}, ${partition}, b.kafka_offset, b.bulk
       FROM (SELECT DISTINCT ON (sale_id) * FROM ${source} ORDER BY sale_id, kafka_offset) b
       LEFT JOIN products p ON p.product_id = b.product_id
       LEFT JOIN stores st ON st.store_id = b.store_id
     ON CONFLICT (sale_id) DO NOTHING`;

/** Live batches (a few sales): one named statement, the columns as arrays. */
const INSERT_FROM_ARRAYS = {
  name: 'consumer-insert-sales',
  text: insertStaged(
    `unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::integer[], $6::text[], $7::bigint[],
            $8::bigint[], $9::timestamptz[], $12::boolean[]) AS u(${STAGED})`,
    '$10::text',
    '$11::integer',
  ),
};

/** From this many sales on, a batch is a backlog: COPY into a staging table, then one insert from it. */
export const COPY_FROM_SALES = 500;

const SHARE_REFERENCES = {
  name: 'consumer-share-references',
  text: 'SELECT pg_advisory_xact_lock_shared($1)',
};

/** Takes the reference lock shared, as every transaction that writes sales does. */
export async function shareReferences(client: PoolClient): Promise<void> {
  await client.query({ ...SHARE_REFERENCES, values: [REFERENCE_LOCK] });
}

/**
 * Inserts sales and returns the number of rows inserted. A backlog goes through COPY into a
 * session-local staging table; a live batch of a few sales as arrays in one named statement (a COPY, a
 * temporary table and its truncation at commit cost more than the rows themselves there).
 */
export async function insertSales(
  client: PoolClient,
  /** `bulk`: a chunk's sale, left out of the change capture (its chunk is captured instead). */
  sales: Array<{ value: SaleMessage; offset: bigint; seenAt?: number | undefined; bulk?: boolean }>,
  /** Where the messages come from: stored with each sale (lineage). */
  origin: { topic: string; partition: number },
): Promise<number> {
  if (sales.length === 0) return 0;
  await shareReferences(client);
  if (sales.length < COPY_FROM_SALES) {
    const result = await client.query({
      ...INSERT_FROM_ARRAYS,
      values: [
        sales.map((s) => s.value.sale_id),
        sales.map((s) => s.value.sold_on),
        sales.map((s) => s.value.product_id),
        sales.map((s) => s.value.store_id),
        sales.map((s) => s.value.quantity),
        sales.map((s) => s.value.feed),
        sales.map((s) => s.value.line),
        sales.map((s) => s.offset.toString()),
        sales.map((s) => (s.seenAt === undefined ? null : new Date(s.seenAt).toISOString())),
        origin.topic,
        origin.partition,
        sales.map((s) => s.bulk === true),
      ],
    });
    return result.rowCount ?? 0;
  }
  // Created in every batch's transaction, never remembered per connection: a transaction that rolls
  // back (a refused batch, a retry) takes a table it created with it, and a connection that believed it
  // still had one refused every later sale with "relation sales_staging does not exist".
  await client.query(
    `CREATE TEMP TABLE IF NOT EXISTS sales_staging (
       sale_id text, sold_on date, product_id text, store_id text, quantity integer,
       feed text, line_number bigint, kafka_offset bigint, line_seen_at timestamptz, bulk boolean
     ) ON COMMIT DELETE ROWS`,
  );
  const lines = sales.map(
    ({ value: s, offset, seenAt, bulk }) =>
      `${copyText(s.sale_id)}\t${s.sold_on}\t${copyText(s.product_id)}\t${copyText(s.store_id)}\t${s.quantity}\t${copyText(s.feed)}\t${s.line}\t${offset}\t${seenAt === undefined ? '\\N' : new Date(seenAt).toISOString()}\t${bulk === true ? 't' : 'f'}\n`,
  );
  await pipeline(
    Readable.from([lines.join('')]),
    client.query(copyFrom(`COPY sales_staging (${STAGED}) FROM STDIN`)),
  );
  const result = await client.query(insertStaged('sales_staging', '$1::text', '$2::integer'), [
    origin.topic,
    origin.partition,
  ]);
  // Emptied for the next call in the same transaction; a DELETE, since a TRUNCATE inside a transaction
  // gives the table a new file every time. Commit empties it anyway.
  await client.query('DELETE FROM sales_staging');
  return result.rowCount ?? 0;
}

/**
 * Records the batch's chunks of sales (`sale_chunks`): one captured change a chunk, from which the
 * analytics worker and the notifier read its sales. (topic, partition, offset) makes a replay record
 * nothing twice.
 */
export async function recordChunks(
  client: PoolClient,
  chunks: Array<{ sales: SaleMessage[]; offset: bigint }>,
  origin: { topic: string; partition: number },
): Promise<void> {
  if (chunks.length === 0) return;
  await client.query({
    name: 'consumer-record-chunks',
    text: `INSERT INTO sale_chunks (kafka_topic, kafka_partition, kafka_offset, feed, sales)
           SELECT $1, $2, u.kafka_offset, u.feed, u.sales
             FROM unnest($3::bigint[], $4::text[], $5::integer[]) AS u(kafka_offset, feed, sales)
           ON CONFLICT DO NOTHING`,
    values: [
      origin.topic,
      origin.partition,
      chunks.map((c) => c.offset.toString()),
      chunks.map((c) => pgSafeText(c.sales[0]?.feed ?? '')),
      chunks.map((c) => c.sales.length),
    ],
  });
}

/**
 * `INSERT … ON CONFLICT (key) DO UPDATE` of a reference table from `rows` (key, columns, now()): a row
 * whose columns are all unchanged is left alone, so it is neither rewritten nor counted as upserted.
 */
function upsertChanged(table: string, key: string, columns: string[], rows: string): string {
  const list = (prefix: string) => columns.map((c) => `${prefix}${c}`).join(', ');
  return `INSERT INTO ${table} (${key}, ${list('')}, updated_at)
     ${rows}
     ON CONFLICT (${key}) DO UPDATE
       SET ${columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, updated_at = now()
       WHERE (${list(`${table}.`)}) IS DISTINCT FROM (${list('EXCLUDED.')})`;
}

/** A reference table the feeds upsert, and the pending sales its ids may unblock. */
interface ReferenceTable<T> {
  upsert: string;
  /** A row's upsert parameters, its id first. */
  values: (row: T) => [string, ...unknown[]];
  unblocks: 'product' | 'store';
}

const PRODUCTS: ReferenceTable<ProductMessage> = {
  upsert: upsertChanged(
    'products',
    'product_id',
    ['name', 'unit_price', 'stock'],
    `SELECT u.product_id, u.name, u.unit_price, u.stock, now()
       FROM unnest($1::text[], $2::text[], $3::numeric[], $4::integer[]) AS u(product_id, name, unit_price, stock)`,
  ),
  values: (p) => [p.product_id, pgSafeText(p.name), p.unit_price, p.stock],
  unblocks: 'product',
};

/** Stores take their region from the city reference ('Inconnue' when the city is not in it). */
const STORES: ReferenceTable<StoreMessage & { cityKey: string }> = {
  upsert: upsertChanged(
    'stores',
    'store_id',
    ['city', 'region', 'employees'],
    `SELECT u.store_id, u.city, COALESCE(cr.region, 'Inconnue'), u.employees, now()
       FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[]) AS u(store_id, city, city_key, employees)
       LEFT JOIN city_regions cr ON cr.city_key = u.city_key`,
  ),
  values: (s) => [s.store_id, pgSafeText(s.city), s.cityKey, s.employees],
  unblocks: 'store',
};

/** Upserts products (last version of each id) and completes the pending sales they unblock. */
export function upsertProducts(
  client: PoolClient,
  products: ProductMessage[],
): Promise<{ upserted: number; completed: number }> {
  return upsertReferences(client, PRODUCTS, products);
}

/** Upserts stores with their region from the city reference and completes the pending sales they unblock. */
export function upsertStores(
  client: PoolClient,
  stores: Array<StoreMessage & { cityKey: string }>,
): Promise<{ upserted: number; completed: number }> {
  return upsertReferences(client, STORES, stores);
}

/**
 * Upserts reference rows under the reference lock, held exclusively, then completes the pending sales
 * the upserted ids unblock. Nothing when there are no rows.
 */
async function upsertReferences<T>(
  client: PoolClient,
  table: ReferenceTable<T>,
  rows: T[],
): Promise<{ upserted: number; completed: number }> {
  if (rows.length === 0) return { upserted: 0, completed: 0 };
  await client.query('SELECT pg_advisory_xact_lock($1)', [REFERENCE_LOCK]);
  const tuples = rows.map(table.values);
  // unnest() takes one array per column: the rows' values transposed.
  const columns = (tuples[0] ?? []).map((_, i) => tuples.map((tuple) => tuple[i]));
  const result = await client.query(table.upsert, columns);
  const ids = tuples.map(([id]) => id);
  const completed = await completePending(
    client,
    table.unblocks === 'product' ? ids : [],
    table.unblocks === 'store' ? ids : [],
  );
  return { upserted: result.rowCount ?? 0, completed };
}

/**
 * Completes pending sales whose product and store are now both known, at the product's current price.
 * This is the late-reference rule: a pending sale takes the price in force when it becomes complete.
 */
async function completePending(
  client: PoolClient,
  productIds: string[],
  storeIds: string[],
): Promise<number> {
  const result = await client.query(
    `${COMPLETE_PENDING} AND (s.product_id = ANY($1::text[]) OR s.store_id = ANY($2::text[]))`,
    [productIds, storeIds],
  );
  return result.rowCount ?? 0;
}

/** Completes the pending sales whose product and store are both known (the caller narrows it). */
const COMPLETE_PENDING = `UPDATE sales s
    SET unit_price = p.unit_price, amount = p.unit_price * s.quantity, status = 'complete'
   FROM products p, stores st
  WHERE s.status = 'pending' AND p.product_id = s.product_id AND st.store_id = s.store_id`;

/**
 * Completes every pending sale whose product and store are both known now (`dlq replay`, after a
 * reference was added some other way than through the feeds). Takes the reference lock exclusively, as
 * a reference batch does. Must run in a transaction.
 */
export async function completeAllPending(client: PoolClient): Promise<number> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [REFERENCE_LOCK]);
  const result = await client.query(COMPLETE_PENDING);
  return result.rowCount ?? 0;
}

/** Records rejections; (topic, partition, offset) makes a replay insert nothing twice. */
export async function insertRejections(client: PoolClient, rejections: Rejection[]): Promise<number> {
  if (rejections.length === 0) return 0;
  const result = await client.query(
    `INSERT INTO rejected_rows (stage, feed, line_number, raw_line, reason, topic, kafka_partition, kafka_offset,
                                kafka_key, kafka_headers, raw_bytes)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::bigint[],
                          $9::bytea[], $10::jsonb[], $11::bytea[])
     ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING`,
    [
      rejections.map((r) => r.stage),
      rejections.map((r) => (r.feed === null ? null : pgSafeText(r.feed))),
      rejections.map((r) => r.line),
      rejections.map((r) => pgSafeText(r.raw)),
      rejections.map((r) => pgSafeText(r.reason)),
      rejections.map((r) => r.topic),
      rejections.map((r) => r.partition),
      rejections.map((r) => r.offset.toString()),
      rejections.map((r) => r.key ?? null),
      rejections.map((r) => (r.headers ? JSON.stringify(r.headers) : null)),
      rejections.map((r) => r.rawBytes),
    ],
  );
  return result.rowCount ?? 0;
}
