import type { KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, startWorker, stopWorker, type Worker } from '../../test-support/cli-processes.ts';
import { eventually } from '../../test-support/eventually.ts';
import { createPipelineTopics } from '../../test-support/kafka-clients.ts';
import { readWholeTopic } from '../../test-support/kafka-readers.ts';
import { stackKafka } from '../../test-support/test-stack.ts';
import { consumerEnv as testConsumerEnv } from '../../test-support/worker-env.ts';

const { endpoints, secrets } = inject('stack');
const run = `dlq${Date.now().toString(36)}`;
const topics = {
  sales: `${run}.sales`,
  products: `${run}.products`,
  stores: `${run}.stores`,
  deadLetter: `${run}.dead-letters`,
};
const ids = { sale: `${run}-feed/0/1`, product: `P${run}`, store: `S${run}` };
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  KAFKA_BROKERS: endpoints.kafkaBrokers,
  DATABASE_URL: secrets.databaseUrl,
  LOG_LEVEL: 'warn',
};
const consumerEnv = testConsumerEnv(topics, { CONSUMER_GROUP: `g.${run}` });
/** What the database refuses until the cause is fixed: one record of each topic. */
const constraints = [
  ['products', `${run}_p`, `product_id <> '${ids.product}'`],
  ['stores', `${run}_s`, `store_id <> '${ids.store}'`],
  ['sales', `${run}_v`, `sale_id <> '${ids.sale}'`],
] as const;

let admin: pg.Client;
let consumer: Worker | undefined;
let output = '';

const sent: Record<
  'sales' | 'products' | 'stores',
  { key: string; value: string; headers: Record<string, string> }
> = {
  products: {
    key: ids.product,
    value: JSON.stringify({ product_id: ids.product, name: 'Rejeté', unit_price: '9.99', stock: 1 }),
    headers: { 'x-origin': 'dlq-test-products' },
  },
  stores: {
    key: ids.store,
    value: JSON.stringify({ store_id: ids.store, city: 'Nantes', employees: 2 }),
    headers: { 'x-origin': 'dlq-test-stores' },
  },
  sales: {
    key: ids.sale,
    value: JSON.stringify({
      sale_id: ids.sale,
      feed: `${run}-feed`,
      generation: 0,
      line: 1,
      sold_on: '2024-03-01',
      product_id: ids.product,
      store_id: ids.store,
      quantity: 2,
    }),
    headers: { 'line-seen-at': String(Date.now()), 'x-origin': 'dlq-test-sales' },
  },
};

beforeAll(async () => {
  admin = new pg.Client({ connectionString: secrets.adminDatabaseUrl });
  await admin.connect();
  for (const [table, name, check] of constraints)
    await admin.query(`ALTER TABLE ${table} ADD CONSTRAINT ${name} CHECK (${check}) NOT VALID`);
  const kafka = stackKafka('dlq-test');
  await createPipelineTopics(kafka, topics);
  consumer = startWorker(['consume'], consumerEnv);
  consumer.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  consumer.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const producer = kafka.producer();
  await producer.connect();
  for (const topic of ['products', 'stores', 'sales'] as const)
    await producer.send({ topic: topics[topic], acks: -1, messages: [sent[topic]] });
  await producer.disconnect();
}, 120_000);

afterAll(async () => {
  if (consumer) await stopWorker(consumer);
  for (const [table, name] of constraints)
    await admin?.query(`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${name}`);
  await admin?.end();
}, 60_000);

async function messagesOf(topic: 'sales' | 'products' | 'stores', atLeast: number): Promise<KafkaMessage[]> {
  const all = await readWholeTopic(endpoints.kafkaBrokers, topics[topic], { atLeast, quietMs: 1000 });
  return all.filter((m) => m.key?.toString() === sent[topic].key);
}

describe('dlq replay of messages the database refused', () => {
  it('re-sends one refused message of each topic with its key and headers; each lands exactly once', async () => {
    const refused = await eventually(
      async () =>
        (
          await admin.query<{ topic: string; reason: string }>(
            'SELECT topic, reason FROM rejected_rows WHERE topic = ANY($1) ORDER BY topic',
            [Object.values(topics)],
          )
        ).rows,
      (rows) => rows.length === 3,
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nconsumer output:\n${output}`);
    });
    expect(refused.map((r) => r.topic)).toEqual([topics.products, topics.sales, topics.stores]);
    for (const r of refused) expect(r.reason).toMatch(/^database refused the record/);

    // The cause is fixed; the refused messages are re-sent.
    for (const [table, name] of constraints)
      await admin.query(`ALTER TABLE ${table} DROP CONSTRAINT ${name}`);
    const replay = await runCli(['dlq', 'replay'], env);
    expect(replay.code, `${replay.stdout}\n${replay.stderr}`).toBe(0);

    const landed = await eventually(
      async () =>
        (
          await admin.query<{ products: string; stores: string; sales: string; status: string | null }>(
            `SELECT (SELECT count(*) FROM products WHERE product_id = $1) AS products,
                    (SELECT count(*) FROM stores WHERE store_id = $2) AS stores,
                    (SELECT count(*) FROM sales WHERE sale_id = $3) AS sales,
                    (SELECT status FROM sales WHERE sale_id = $3) AS status`,
            [ids.product, ids.store, ids.sale],
          )
        ).rows[0],
      (row) => row?.products === '1' && row.stores === '1' && row.sales === '1',
      60_000,
    ).catch(async (error: Error) => {
      const rows = await admin.query(
        'SELECT topic, reason, replayed_at, kafka_key, kafka_headers FROM rejected_rows WHERE topic = ANY($1)',
        [Object.values(topics)],
      );
      throw new Error(
        `${error.message}\nrejected: ${JSON.stringify(rows.rows)}\nreplay: ${replay.stdout}\nconsumer output:\n${output}`,
      );
    });
    expect(landed?.status).toBe('complete');
    const marked = await admin.query<{ n: string }>(
      'SELECT count(*) AS n FROM rejected_rows WHERE topic = ANY($1) AND replayed_at IS NOT NULL',
      [Object.values(topics)],
    );
    expect(marked.rows[0]?.n).toBe('3');

    // A second replay re-sends none of them again.
    const again = await runCli(['dlq', 'replay'], env);
    expect(again.code, again.stderr).toBe(0);
    for (const topic of ['products', 'stores', 'sales'] as const) {
      // The original and its one replay, both with the key and the headers it was sent with.
      const messages = await messagesOf(topic, 2);
      expect(messages, topic).toHaveLength(2);
      for (const m of messages) {
        // (a record the database refused is kept as the consumer read it: the same fields)
        expect(JSON.parse(m.value?.toString() ?? 'null'), topic).toMatchObject(JSON.parse(sent[topic].value));
        const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)]));
        expect(headers, topic).toEqual(sent[topic].headers);
      }
    }
    // Each row is there once, and nothing of them was refused again.
    const rejected = await admin.query<{ n: string }>(
      'SELECT count(*) AS n FROM rejected_rows WHERE topic = ANY($1)',
      [Object.values(topics)],
    );
    expect(rejected.rows[0]?.n).toBe('3');
  }, 180_000);
});
