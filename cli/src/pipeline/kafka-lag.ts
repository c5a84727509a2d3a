import { createKafka, createLogger } from '@sales-pipeline/platform';
import type { StoredOffset } from './database-status.ts';
import type { PipelineStatus } from './status-types.ts';

/**
 * Messages behind per group and topic: each partition's end against the group's stored next offset,
 * summed (never negative); a partition whose end is unknown is left out. Sorted by group then topic. Pure.
 */
export function lagByGroup(
  stored: readonly StoredOffset[],
  ends: ReadonlyMap<string, ReadonlyMap<number, bigint>>,
): PipelineStatus['consumerLag'] {
  const lag = new Map<string, { group: string; topic: string; lag: bigint }>();
  for (const s of stored) {
    const end = ends.get(s.topic)?.get(s.kafka_partition);
    if (end === undefined) continue;
    const key = `${s.consumer_group}\u0000${s.topic}`;
    const entry = lag.get(key) ?? { group: s.consumer_group, topic: s.topic, lag: 0n };
    const behind = end - BigInt(s.next_offset);
    entry.lag += behind > 0n ? behind : 0n;
    lag.set(key, entry);
  }
  return [...lag.values()]
    .map((entry) => ({ ...entry, lag: Number(entry.lag) }))
    .sort((a, b) => (a.group + a.topic < b.group + b.topic ? -1 : 1));
}

/** Lag per group and topic: the topics' ends, read from the broker, against the offsets stored in PostgreSQL. */
export async function readConsumerLag(
  kafkaBrokers: string,
  stored: StoredOffset[],
  errors: string[],
): Promise<PipelineStatus['consumerLag']> {
  const kafka = createKafka({
    clientId: 'sales-pipeline-status',
    brokers: kafkaBrokers.split(','),
    logger: createLogger('status', 'error'),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const ends = new Map<string, Map<number, bigint>>();
    for (const topic of new Set(stored.map((s) => s.topic))) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
      ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
    }
    return lagByGroup(stored, ends);
  } catch (error) {
    errors.push(`kafka: ${(error as Error).message}`);
    return [];
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
