/** A backfill's chunk of sales, as Debezium reported its `sale_chunks` row. */
export interface ChunkEvent {
  topic: string;
  partition: number;
  offset: string;
  lsn: bigint;
}

interface ChunkRow {
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number | string;
}

/**
 * Decodes a Debezium event of the `sale_chunks` table (a chunk recorded by the consumer). Pure. Only an
 * insert or a snapshot read brings a chunk; anything else changes nothing.
 */
export function decodeChunkEvent(value: string | null): ChunkEvent | undefined {
  if (!value) return undefined;
  const event = JSON.parse(value) as {
    op: string;
    after: ChunkRow | null;
    source: { lsn: number | null };
  };
  if ((event.op !== 'c' && event.op !== 'r') || !event.after || event.source.lsn === null) return undefined;
  return {
    topic: event.after.kafka_topic,
    partition: Number(event.after.kafka_partition),
    offset: String(event.after.kafka_offset),
    lsn: BigInt(event.source.lsn),
  };
}
