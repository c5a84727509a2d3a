import type { ChunkEvent, PoolClient } from '@sales-pipeline/platform';
import { contributionOf, type SaleChange } from './decode-change.ts';

/**
 * The sales of these chunks that are still as the chunk stored them (bulk: not changed since, a change
 * being captured on its own), each as a change at its chunk's LSN. A sale already counted at a later LSN
 * (its own change applied first) is left alone by computeSaleDeltas, as a replay would be.
 */
export async function loadChunkSales(client: PoolClient, chunks: ChunkEvent[]): Promise<SaleChange[]> {
  if (chunks.length === 0) return [];
  const { rows } = await client.query<{
    sale_id: string;
    sold_on: string;
    product_id: string;
    store_id: string;
    quantity: number;
    amount: string | null;
    status: string;
    seen_ms: number | null;
    lsn: string;
  }>({
    name: 'analytics-load-chunk-sales',
    text: `SELECT s.sale_id, to_char(s.sold_on, 'YYYY-MM-DD') AS sold_on, s.product_id, s.store_id, s.quantity,
                  s.amount::text AS amount, s.status, (extract(epoch FROM s.line_seen_at) * 1000)::float8 AS seen_ms, c.lsn::text AS lsn
             FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::numeric[]) WITH ORDINALITY
                  AS c(topic, part, off, lsn, n)
             JOIN sales s ON s.kafka_topic = c.topic AND s.kafka_partition = c.part AND s.kafka_offset = c.off
            WHERE s.bulk
            ORDER BY c.n, s.line_number`,
    values: [
      chunks.map((c) => c.topic),
      chunks.map((c) => c.partition),
      chunks.map((c) => c.offset),
      chunks.map((c) => c.lsn.toString()),
    ],
  });
  return rows.map((row) => {
    const after = contributionOf(row);
    const lineSeenAt = after.counted && row.seen_ms !== null ? row.seen_ms : undefined;
    return {
      saleId: row.sale_id,
      lsn: BigInt(row.lsn),
      after,
      ...(lineSeenAt === undefined ? {} : { lineSeenAt }),
    };
  });
}
