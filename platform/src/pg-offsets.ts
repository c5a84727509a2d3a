import type { PoolClient } from 'pg';

/**
 * Kafka offsets kept in PostgreSQL (`consumer_offsets`), written in the same transaction as the rows they
 * produced: a worker resumes from them, and a replay finds its messages already applied.
 */

/** Locks this partition's stored offset until the transaction ends and returns it (0 when none yet). */
export async function lockOffset(
  client: PoolClient,
  group: string,
  topic: string,
  partition: number,
): Promise<bigint> {
  await client.query(
    `INSERT INTO consumer_offsets (consumer_group, topic, kafka_partition, next_offset)
     VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`,
    [group, topic, partition],
  );
  const { rows } = await client.query<{ next_offset: string }>(
    `SELECT next_offset FROM consumer_offsets
      WHERE consumer_group = $1 AND topic = $2 AND kafka_partition = $3 FOR UPDATE`,
    [group, topic, partition],
  );
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
  await client.query(
    `UPDATE consumer_offsets SET next_offset = $4, updated_at = now()
      WHERE consumer_group = $1 AND topic = $2 AND kafka_partition = $3`,
    [group, topic, partition, nextOffset.toString()],
  );
}

/** Every offset stored for a group, to seek to on partition assignment. */
export async function storedOffsets(
  client: PoolClient,
  group: string,
): Promise<Array<{ topic: string; partition: number; nextOffset: string }>> {
  const { rows } = await client.query<{ topic: string; kafka_partition: number; next_offset: string }>(
    'SELECT topic, kafka_partition, next_offset FROM consumer_offsets WHERE consumer_group = $1',
    [group],
  );
  return rows.map((r) => ({ topic: r.topic, partition: r.kafka_partition, nextOffset: r.next_offset }));
}
