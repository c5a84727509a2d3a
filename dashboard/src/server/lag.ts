import type { PartitionLag } from '../shared/types.ts';

/** An offset a consumer group stored in PostgreSQL with its rows (the table consumer_offsets). */
export interface StoredOffset {
  group: string;
  topic: string;
  partition: number;
  nextOffset: number;
}

/**
 * Lag per consumer group, topic and partition: the topic's end offset minus the group's next offset
 * (never negative). A partition whose end is unknown (the broker did not answer) has a null lag, and so
 * does the group's sum. Sorted by group, topic, partition. Pure.
 */
export function partitionLag(
  stored: readonly StoredOffset[],
  ends: ReadonlyMap<string, ReadonlyMap<number, number>>,
): Array<{ group: string; topic: string; lag: number | null; partitions: PartitionLag[] }> {
  const groups = new Map<
    string,
    { group: string; topic: string; lag: number | null; partitions: PartitionLag[] }
  >();
  const sorted = [...stored].sort(
    (a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.partition - b.partition,
  );
  for (const s of sorted) {
    const key = `${s.group}\u0000${s.topic}`;
    const entry = groups.get(key) ?? { group: s.group, topic: s.topic, lag: 0, partitions: [] };
    const end = ends.get(s.topic)?.get(s.partition);
    const lag = end === undefined ? null : Math.max(0, end - s.nextOffset);
    entry.partitions.push({ partition: s.partition, nextOffset: s.nextOffset, endOffset: end ?? null, lag });
    entry.lag = entry.lag === null || lag === null ? null : entry.lag + lag;
    groups.set(key, entry);
  }
  return [...groups.values()];
}
