import type { PoolClient } from 'pg';

/**
 * Kafka offsets kept in PostgreSQL (`consumer_offsets`), written in the same transaction as the rows they
 * produced: a worker resumes from them, and a replay finds its messages already applied.
 */

/**
 * The offset statements run in every batch's transaction, so they are named: PostgreSQL parses and plans
 * each once per connection, not once per batch.
 */
const LOCK_OFFSET = {
  name: 'consumer-offsets-lock',
  text: `SELECT next_offset FROM consumer_offsets
          WHERE consumer_group = $1 AND topic = $2 AND kafka_partition = $3 FOR UPDATE`,
};
const CREATE_OFFSET = {
  name: 'consumer-offsets-create',
  text: `INSERT INTO consumer_offsets (consumer_group, topic, kafka_partition, next_offset)
         VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`,
};
const STORE_OFFSET = {
  name: 'consumer-offsets-store',
  text: `UPDATE consumer_offsets SET next_offset = $4, updated_at = now()
          WHERE consumer_group = $1 AND topic = $2 AND kafka_partition = $3`,
};

/**
 * Locks this partition's stored offset until the transaction ends and returns it (0 when none yet). The
 * row is created on a partition's first batch only (then locked like any other): one statement per batch.
 */
export async function lockOffset(
  client: PoolClient,
  group: string,
  topic: string,
  partition: number,
): Promise<bigint> {
  const values = [group, topic, partition];
  let { rows } = await client.query<{ next_offset: string }>({ ...LOCK_OFFSET, values });
  if (rows.length === 0) {
    await client.query({ ...CREATE_OFFSET, values });
    ({ rows } = await client.query<{ next_offset: string }>({ ...LOCK_OFFSET, values }));
  }
  return BigInt(rows[0]?.next_offset ?? '0');
}

/** Moves the partition's stored offset (call with the row locked by {@link lockOffset}). */
export async function storeOffset(
  client: PoolClient,
  group: string,
  topic: string,
  partition: number,
  nextOffset: bigint,
): Promise<void> {
  await client.query({ ...STORE_OFFSET, values: [group, topic, partition, nextOffset.toString()] });
}

/** Every offset stored for a group, to seek to on partition assignment. */
export async function storedOffsets(
  client: Pick<PoolClient, 'query'>,
  group: string,
): Promise<Array<{ topic: string; partition: number; nextOffset: string }>> {
  const { rows } = await client.query<{ topic: string; kafka_partition: number; next_offset: string }>(
    'SELECT topic, kafka_partition, next_offset FROM consumer_offsets WHERE consumer_group = $1',
    [group],
  );
  return rows.map((r) => ({ topic: r.topic, partition: r.kafka_partition, nextOffset: r.next_offset }));
}
