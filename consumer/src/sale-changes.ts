import type { PoolClient } from 'pg';
import type {
  FeedHoldNotice,
  FeedVersionNotice,
  SaleCancellation,
  SaleMessage,
} from '@sales-pipeline/platform';
import { pgSafeText } from './decode-message.ts';
import { shareReferences } from './pg-writer.ts';

/** A versioned change of one sale (a sale message with `rev`, or a cancellation), with its offset. */
export type SaleChange =
  | { kind: 'sale'; value: SaleMessage & { rev: number }; offset: bigint; seenAt?: number | undefined }
  | { kind: 'cancel'; value: SaleCancellation; offset: bigint };

/** Where the batch's messages were in Kafka: kept with every version. */
export interface ChangeOrigin {
  topic: string;
  partition: number;
}

/**
 * The upsert of the latest version of sales that have versions. A new sale is inserted like an
 * append-only one (priced from the current product, pending when a reference is missing). An existing
 * sale is replaced only by a higher `rev`: an older version never overwrites a newer one. An amendment
 * keeps the unit price fixed at ingest while the product stays the same and the sale was complete;
 * otherwise it is priced like a new sale.
 */
const UPSERT_VERSIONS = {
  name: 'consumer-upsert-sale-versions',
  text: `INSERT INTO sales (sale_id, sold_on, product_id, store_id, quantity, unit_price, amount, status, feed,
                          line_number, line_seen_at, rev, feed_version, kafka_topic, kafka_partition, kafka_offset)
     SELECT u.sale_id, u.sold_on, u.product_id, u.store_id, u.quantity,
            CASE WHEN st.store_id IS NOT NULL THEN p.unit_price END,
            CASE WHEN st.store_id IS NOT NULL THEN p.unit_price * u.quantity END,
            CASE WHEN p.product_id IS NOT NULL AND st.store_id IS NOT NULL THEN 'complete' ELSE 'pending' END,
            u.feed, u.line_number, u.line_seen_at, u.rev, u.feed_version, $11::text, $12::integer, u.kafka_offset
       FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::integer[], $6::text[], $7::bigint[],
                   $8::timestamptz[], $9::bigint[], $10::integer[], $13::bigint[])
            AS u(sale_id, sold_on, product_id, store_id, quantity, feed, line_number, line_seen_at, rev, feed_version,
                 kafka_offset)
       LEFT JOIN products p ON p.product_id = u.product_id
       LEFT JOIN stores st ON st.store_id = u.store_id
     ON CONFLICT (sale_id) DO UPDATE SET
       sold_on = EXCLUDED.sold_on, product_id = EXCLUDED.product_id, store_id = EXCLUDED.store_id,
       quantity = EXCLUDED.quantity, status = EXCLUDED.status,
       unit_price = CASE WHEN EXCLUDED.status = 'complete' AND sales.status = 'complete'
                          AND sales.product_id = EXCLUDED.product_id
                         THEN sales.unit_price ELSE EXCLUDED.unit_price END,
       amount = CASE WHEN EXCLUDED.status = 'complete' AND sales.status = 'complete'
                      AND sales.product_id = EXCLUDED.product_id
                     THEN sales.unit_price * EXCLUDED.quantity ELSE EXCLUDED.amount END,
       feed = EXCLUDED.feed, line_number = EXCLUDED.line_number, line_seen_at = EXCLUDED.line_seen_at,
       rev = EXCLUDED.rev, feed_version = EXCLUDED.feed_version, kafka_topic = EXCLUDED.kafka_topic,
       kafka_partition = EXCLUDED.kafka_partition, kafka_offset = EXCLUDED.kafka_offset
     WHERE sales.rev < EXCLUDED.rev`,
};

/** A cancelled sale counts nothing and keeps its last values; a lower `rev` never cancels a newer version. */
const CANCEL = {
  name: 'consumer-cancel-sales',
  text: `UPDATE sales SET status = 'cancelled', rev = u.rev, feed_version = u.feed_version
       FROM unnest($1::text[], $2::bigint[], $3::integer[]) AS u(sale_id, rev, feed_version)
      WHERE sales.sale_id = u.sale_id AND sales.rev < u.rev`,
};

/** Every version is kept once: (sale_id, rev) makes a replay record nothing twice. */
const RECORD_VERSIONS = {
  name: 'consumer-record-sale-versions',
  text: `INSERT INTO sale_versions (sale_id, rev, op, feed, feed_version, line_number, sold_on, product_id, store_id,
                                quantity, topic, kafka_partition, kafka_offset)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::integer[], $6::bigint[], $7::date[],
                          $8::text[], $9::text[], $10::integer[], $11::text[], $12::integer[], $13::bigint[])
     ON CONFLICT (sale_id, rev) DO NOTHING`,
};

export interface ChangeCounts {
  /** Sales inserted or replaced by a newer version. */
  upserted: number;
  cancelled: number;
  /** Versions recorded in sale_versions. */
  versions: number;
}

/**
 * Applies a batch's versioned sale changes, in offset order: every version is recorded in
 * `sale_versions` (sale, amendment or cancellation), and each sale takes its latest version of the batch,
 * unless the database already holds a newer one. Must run in the batch's transaction.
 */
export async function applySaleChanges(
  client: PoolClient,
  changes: SaleChange[],
  origin: ChangeOrigin,
): Promise<ChangeCounts> {
  if (changes.length === 0) return { upserted: 0, cancelled: 0, versions: 0 };
  await shareReferences(client);
  const ids = [...new Set(changes.map((c) => c.value.sale_id))];
  const { rows } = await client.query<{ sale_id: string }>(
    'SELECT sale_id FROM sales WHERE sale_id = ANY($1::text[])',
    [ids],
  );
  const known = new Set(rows.map((r) => r.sale_id));
  const ops = changes.map((c) => {
    const op = c.kind === 'cancel' ? 'cancellation' : known.has(c.value.sale_id) ? 'amendment' : 'sale';
    known.add(c.value.sale_id);
    return op;
  });
  const sale = (c: SaleChange) => (c.kind === 'sale' ? c.value : undefined);
  const recorded = await client.query({
    ...RECORD_VERSIONS,
    values: [
      changes.map((c) => c.value.sale_id),
      changes.map((c) => c.value.rev),
      ops,
      changes.map((c) => pgSafeText(c.value.feed)),
      changes.map((c) => c.value.version ?? null),
      changes.map((c) => c.value.line),
      changes.map((c) => sale(c)?.sold_on ?? null),
      changes.map((c) => sale(c)?.product_id ?? null),
      changes.map((c) => sale(c)?.store_id ?? null),
      changes.map((c) => sale(c)?.quantity ?? null),
      changes.map(() => origin.topic),
      changes.map(() => origin.partition),
      changes.map((c) => c.offset.toString()),
    ],
  });

  // Per sale, its highest rev in the batch (versions, not arrival order).
  const latest = [
    ...changes
      .reduce((best, c) => {
        const kept = best.get(c.value.sale_id);
        if (!kept || kept.value.rev < c.value.rev) best.set(c.value.sale_id, c);
        return best;
      }, new Map<string, SaleChange>())
      .values(),
  ];
  const upserts = latest.flatMap((c) => (c.kind === 'sale' ? [c] : []));
  const cancels = latest.flatMap((c) => (c.kind === 'cancel' ? [c.value] : []));
  const upserted =
    upserts.length === 0
      ? 0
      : ((
          await client.query({
            ...UPSERT_VERSIONS,
            values: [
              upserts.map((c) => c.value.sale_id),
              upserts.map((c) => c.value.sold_on),
              upserts.map((c) => c.value.product_id),
              upserts.map((c) => c.value.store_id),
              upserts.map((c) => c.value.quantity),
              upserts.map((c) => pgSafeText(c.value.feed)),
              upserts.map((c) => c.value.line),
              upserts.map((c) => (c.seenAt === undefined ? null : new Date(c.seenAt).toISOString())),
              upserts.map((c) => c.value.rev),
              upserts.map((c) => c.value.version ?? null),
              origin.topic,
              origin.partition,
              upserts.map((c) => c.offset.toString()),
            ],
          })
        ).rowCount ?? 0);
  const cancelled =
    cancels.length === 0
      ? 0
      : ((
          await client.query({
            ...CANCEL,
            values: [
              cancels.map((c) => c.sale_id),
              cancels.map((c) => c.rev),
              cancels.map((c) => c.version ?? null),
            ],
          })
        ).rowCount ?? 0);
  return { upserted, cancelled, versions: recorded.rowCount ?? 0 };
}

/**
 * Records the producer's notices about snapshot feeds: a held version (kept in `feed_holds` until a
 * version of the feed is applied, and put in the notifier's outbox once, so Slack hears of it once), or an
 * applied version (the feed's hold, if any, is over). A notice read again after a crash changes nothing.
 */
export async function applyFeedNotices(
  client: PoolClient,
  notices: Array<FeedHoldNotice | FeedVersionNotice>,
): Promise<number> {
  let applied = 0;
  for (const notice of notices) {
    if (notice.type === 'feed-version') {
      const result = await client.query('DELETE FROM feed_holds WHERE feed = $1', [notice.feed]);
      applied += result.rowCount ?? 0;
      continue;
    }
    const result = await client.query(
      `INSERT INTO feed_holds (feed, seq, version_sha, reason, cancels, live_sales, held_at)
       VALUES ($1, $7, $2, $3, $4, $5, $6)
       ON CONFLICT (feed) DO UPDATE SET seq = EXCLUDED.seq, version_sha = EXCLUDED.version_sha, reason = EXCLUDED.reason,
         cancels = EXCLUDED.cancels, live_sales = EXCLUDED.live_sales, held_at = EXCLUDED.held_at,
         accepted_at = NULL
       WHERE feed_holds.version_sha <> EXCLUDED.version_sha`,
      [
        pgSafeText(notice.feed),
        notice.version_sha,
        pgSafeText(notice.reason),
        notice.cancels,
        notice.live_sales,
        notice.detected_at,
        notice.seq,
      ],
    );
    applied += result.rowCount ?? 0;
    await client.query(
      `INSERT INTO milestones (rule, subject, step, payload) VALUES ('feed_held', $1, $2, $3)
       ON CONFLICT (rule, subject, step) DO NOTHING`,
      [
        pgSafeText(notice.feed),
        notice.seq,
        JSON.stringify({
          feed: notice.feed,
          reason: notice.reason,
          cancels: notice.cancels,
          live_sales: notice.live_sales,
        }),
      ],
    );
  }
  return applied;
}
