/** A backfill's chunk of sales, as Debezium reported its `sale_chunks` row. */
export interface ChunkEvent {
  topic: string;
  partition: number;
  offset: string;
  lsn: bigint;
  /** Sales in the chunk's message. */
  sales: number;
}

interface ChunkRow {
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number | string;
  sales: number;
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
    sales: Number(event.after.sales),
  };
}

/** At most this many of a batch's chunk sales are read and applied in one transaction (bounded memory). */
export const MAX_CHUNK_SALES_PER_TRANSACTION = 10_000;

/**
 * A batch of `sale_chunks` change events cut into runs of consecutive messages holding at most `maxSales`
 * sales each (a run holds one chunk at least). Pure. A fetch of small change events can carry a thousand
 * chunks, a million sales: each run is applied in a transaction of its own, its offset with it.
 */
export function chunkRuns<M extends { value: Buffer | null }>(
  messages: M[],
  maxSales = MAX_CHUNK_SALES_PER_TRANSACTION,
): M[][] {
  const runs: M[][] = [];
  let run: M[] = [];
  let sales = 0;
  for (const message of messages) {
    const size = decodeChunkEvent(message.value?.toString() ?? null)?.sales ?? 0;
    if (run.length > 0 && sales + size > maxSales) {
      runs.push(run);
      run = [];
      sales = 0;
    }
    run.push(message);
    sales += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
