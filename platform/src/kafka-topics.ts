import type { Admin } from 'kafkajs';
import { Wakeup } from './wakeup.ts';

export interface TopicSpec {
  topic: string;
  partitions: number;
  compacted: boolean;
}

/**
 * Creates the topics the producer writes to when they do not exist (brokers here never auto-create),
 * waiting for their leaders. Existing topics are left as they are.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length === 0) return;
  // Another worker may create the same topics at the same moment: that is fine.
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((spec) => ({
      topic: spec.topic,
      numPartitions: spec.partitions,
      configEntries: spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
    })),
  });
}

/**
 * Creates change topics that Debezium may not have made yet (a table with no change since the connector
 * started: the backfills' chunks), one partition each, as `stack up` does for every change topic.
 * Returns the topics that exist afterwards; a creation refused (no right to create topics on this
 * cluster) leaves them out, with the error.
 */
export async function createMissingChangeTopics(
  admin: Admin,
  topics: string[],
): Promise<{ ready: string[]; refused?: unknown }> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return { ready: topics };
  try {
    await ensureTopics(
      admin,
      missing.map((topic) => ({ topic, partitions: 1, compacted: false })),
    );
    return { ready: topics };
  } catch (error) {
    return { ready: topics.filter((topic) => existing.has(topic)), refused: error };
  }
}

/** The pipeline's own topics: sales (partitioned), products and stores (compacted), dead letters. */
export function pipelineTopicSpecs(
  topics: { sales: string; products: string; stores: string; deadLetter: string },
  salesPartitions: number,
): TopicSpec[] {
  return [
    { topic: topics.sales, partitions: salesPartitions, compacted: false },
    { topic: topics.products, partitions: 1, compacted: true },
    { topic: topics.stores, partitions: 1, compacted: true },
    { topic: topics.deadLetter, partitions: 1, compacted: false },
  ];
}

/** Waits until every topic exists (Debezium creates its topics on the first change), or `stop` aborts. */
export async function waitForTopics(
  admin: Admin,
  topics: string[],
  onWait: (missing: string[]) => void,
  stop: AbortSignal,
): Promise<void> {
  while (!stop.aborted) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    onWait(missing);
    // Stopping ends the wait at once, not at the next check.
    await new Wakeup().wait(1000, stop);
  }
}
