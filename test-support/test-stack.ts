import type { Kafka, KafkaMessage, Message, RecordMetadata } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import pg from 'pg';
import { inject } from 'vitest';
import { createPipelineTopics, testKafka, withAdmin } from './kafka-clients.ts';
import type { Topics } from './worker-env.ts';

/** A kafkajs client on the test run's stack (started once by stack/test/global-setup.ts). */
export function stackKafka(clientId: string): Kafka {
  return testKafka(inject('stack').endpoints.kafkaBrokers, clientId);
}

/**
 * Sends plain (non-transactional) messages, for duplicates and poison messages; returns where they landed.
 * Creates the test's topics first, as a producer would.
 */
export async function sendRaw(topics: Topics, topic: string, messages: Message[]): Promise<RecordMetadata[]> {
  const kafka = stackKafka('test-raw');
  await createPipelineTopics(kafka, topics);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    return await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/** The offset the consumer group stored in PostgreSQL (with its rows) for a partition: where it resumes. */
export async function storedOffset(group: string, topic: string, partition: number): Promise<bigint> {
  const rows = await query<{ next_offset: string }>(
    'SELECT next_offset FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2 AND kafka_partition = $3',
    [group, topic, partition],
  );
  return BigInt(rows[0]?.next_offset ?? '-1');
}

/** One query as the pipeline's reader role. */
export async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: inject('stack').secrets.adminDatabaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Partitions of a topic, as the broker has it. */
export async function partitionCount(topic: string): Promise<number> {
  return withAdmin(stackKafka('test-admin'), async (admin) => {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  });
}

/** Whether the broker knows a topic. */
export async function topicExists(topic: string): Promise<boolean> {
  return withAdmin(stackKafka('test-admin'), async (admin) => (await admin.listTopics()).includes(topic));
}

/**
 * Every committed message of `topic` (read_committed), read from the beginning up to the end offsets the
 * topic had when called: no quiet window to guess, and any error fails the read. A partition whose end
 * is a transaction marker counts as read once the consumer's position has passed the marker.
 */
export async function readTopicToEnd(topic: string, timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const kafka = stackKafka('test-read-to-end');
  const ends = await withAdmin(
    kafka,
    async (admin) =>
      new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)])),
  );
  const reached = new Map<number, bigint>();
  const done = () => [...ends].every(([partition, end]) => (reached.get(partition) ?? 0n) >= end);
  const messages: KafkaMessage[] = [];
  if (done()) return messages;
  const consumer = kafka.consumer({
    groupId: `test-to-end-${process.pid}-${Date.now()}-${Math.random()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  let failure: Error | undefined;
  consumer.on(consumer.events.CRASH, ({ payload }) => (failure = payload.error));
  // Also emitted for a fetch that held only transaction markers: the position moves past them.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const next = BigInt(payload.lastOffset) + 1n;
    if (next > (reached.get(payload.partition) ?? 0n)) reached.set(payload.partition, next);
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        messages.push(...batch.messages.filter((m) => BigInt(m.offset) < (ends.get(batch.partition) ?? 0n)));
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (failure) throw failure;
      if (Date.now() > deadline)
        throw new Error(
          `${topic}: not read to its end offsets in ${timeoutMs} ms (ends ${JSON.stringify([...ends].map(([p, e]) => [p, String(e)]))}, reached ${JSON.stringify([...reached].map(([p, e]) => [p, String(e)]))})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return messages;
  } finally {
    await consumer.disconnect();
  }
}
