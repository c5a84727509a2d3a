import type { Kafka, KafkaMessage } from 'kafkajs';
import { testKafka, withAdmin } from './kafka-clients.ts';

/**
 * Reads `topic` from the beginning with a throwaway consumer group until a message satisfies `match`,
 * and returns that message. Fails after `timeoutMs`, saying how many messages it had seen.
 */
export async function findInTopic(
  brokers: string,
  topic: string,
  match: (message: KafkaMessage) => boolean,
  timeoutMs = 60_000,
): Promise<KafkaMessage> {
  const kafka = testKafka(brokers, 'test-reader');
  const consumer = kafka.consumer({
    groupId: `test-reader-${process.pid}-${Date.now()}-${Math.random()}`,
    maxWaitTimeInMs: 100,
  });
  let seen = 0;
  await consumer.connect();
  try {
    await waitForTopic(kafka, topic, timeoutMs);
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<KafkaMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out on ${topic} after ${seen} message(s)`)),
        timeoutMs,
      );
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            seen++;
            if (match(message)) {
              clearTimeout(timer);
              resolve(message);
              return;
            }
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

/** Waits until the broker knows `topic` (Debezium creates its topics on the first change). */
async function waitForTopic(kafka: Kafka, topic: string, timeoutMs: number): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await admin.listTopics()).includes(topic)) {
      if (Date.now() > deadline) throw new Error(`topic ${topic} never appeared`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
}

/** The JSON value of a Debezium change event (JsonConverter without schemas). */
export interface ChangeEvent<Row> {
  op: 'c' | 'u' | 'd' | 'r';
  before: Row | null;
  after: Row | null;
  source: { table: string; lsn: number };
}

export function parseChange<Row>(message: KafkaMessage): ChangeEvent<Row> {
  return JSON.parse(message.value?.toString() ?? 'null') as ChangeEvent<Row>;
}

/**
 * Reads every committed message of `topic` (read_committed), waiting until at least `atLeast` have come
 * and then until none arrives for `quietMs`: what it returns is the topic's whole committed content.
 */
export async function readWholeTopic(
  brokers: string,
  topic: string,
  options: { atLeast?: number; quietMs?: number; timeoutMs?: number } = {},
): Promise<KafkaMessage[]> {
  const { atLeast = 0, quietMs = 1500, timeoutMs = 120_000 } = options;
  const kafka = testKafka(brokers, 'test-reader');
  const consumer = kafka.consumer({
    groupId: `test-whole-${process.pid}-${Date.now()}-${Math.random()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  const messages: KafkaMessage[] = [];
  let lastArrival = Date.now();
  await consumer.connect();
  try {
    await waitForTopic(kafka, topic, timeoutMs);
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        messages.push(...batch.messages);
        lastArrival = Date.now();
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (messages.length < atLeast || Date.now() - lastArrival < quietMs) {
      if (Date.now() > deadline) throw new Error(`timed out on ${topic} with ${messages.length} message(s)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/** The parsed JSON values of messages. */
export function values<T>(messages: KafkaMessage[]): T[] {
  return messages.map((m) => JSON.parse(m.value?.toString() ?? 'null') as T);
}
