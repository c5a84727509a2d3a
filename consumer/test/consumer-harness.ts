import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Kafka, Partitioners, logLevel, type Message, type RecordMetadata } from 'kafkajs';
import pg from 'pg';
import { inject } from 'vitest';
import { ensureTopics, pipelineTopicSpecs } from '@sales-pipeline/platform';
import { isolatedTopics } from '../../producer/test/producer-harness.ts';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'cli', 'bin', 'sales-pipeline.js');

export { isolatedTopics };
export type Topics = ReturnType<typeof isolatedTopics>;

export function consumerEnv(topics: Topics, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { endpoints, secrets } = inject('stack');
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KAFKA_BROKERS: endpoints.kafkaBrokers,
    DATABASE_URL: secrets.databaseUrl,
    LOG_LEVEL: 'warn',
    SALES_TOPIC: topics.sales,
    PRODUCTS_TOPIC: topics.products,
    STORES_TOPIC: topics.stores,
    DEADLETTER_TOPIC: topics.deadLetter,
    CONSUMER_GROUP: `g.${topics.sales}`,
    CONSUMER_SESSION_TIMEOUT_MS: '6000',
    ...extra,
  };
}

export type Worker = ChildProcess & { output: () => string; exited: Promise<number | null> };

/** Starts a `sales-pipeline <command>` worker process. */
export function startWorker(command: string[], env: NodeJS.ProcessEnv): Worker {
  const child = spawn(process.execPath, [BIN, ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return Object.assign(child, { output: () => output, exited });
}

/** SIGTERM, and the exit code once the worker has shut down. */
export async function stopWorker(worker: Worker): Promise<number | null> {
  if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGTERM');
  return worker.exited;
}

/**
 * Sends plain (non-transactional) messages, for duplicates and poison messages; returns where they landed.
 * Creates the test's topics first, as a producer would.
 */
export async function sendRaw(topics: Topics, topic: string, messages: Message[]): Promise<RecordMetadata[]> {
  const { endpoints } = inject('stack');
  const kafka = new Kafka({
    clientId: 'test-raw',
    brokers: endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, pipelineTopicSpecs(topics, 3));
  await admin.disconnect();
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

/** Polls `check` until it returns true; fails with the last value seen after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

export function sale(
  feed: string,
  line: number,
  productId: string,
  storeId: string,
  quantity: number,
): Message {
  const saleId = `${feed}/0/${line}`;
  return {
    key: saleId,
    value: JSON.stringify({
      sale_id: saleId,
      feed,
      generation: 0,
      line,
      sold_on: '2024-03-01',
      product_id: productId,
      store_id: storeId,
      quantity,
    }),
  };
}

export function product(id: string, name: string, price: string): Message {
  return { key: id, value: JSON.stringify({ product_id: id, name, unit_price: price, stock: 10 }) };
}

export function store(id: string, city: string): Message {
  return { key: id, value: JSON.stringify({ store_id: id, city, employees: 3 }) };
}

/** Partitions of a topic, as the broker has it. */
export async function partitionCount(topic: string): Promise<number> {
  const kafka = new Kafka({
    clientId: 'test-admin',
    brokers: inject('stack').endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

/** Whether the broker knows a topic. */
export async function topicExists(topic: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'test-admin',
    brokers: inject('stack').endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}
