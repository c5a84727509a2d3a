/**
 * npm run bench:consumer — rows/s of the consumer applying N sale messages (default 1,000,000) to
 * PostgreSQL, side by side in the same run with COPY of the same rows into the same table (the physical
 * limit), and the ratio. BENCH_ROWS sets N.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Partitioners } from 'kafkajs';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { consume, loadConsumerConfig } from '@sales-pipeline/consumer';
import { createLogger } from '@sales-pipeline/platform';
import { createPipelineTopics, testKafka } from '../test-support/kafka-clients.ts';
import { benchStack, rate, report, sizeFromEnv } from './bench-stack.ts';

const rows = sizeFromEnv('BENCH_ROWS', 1_000_000);
const stack = await benchStack('consumer');
const run = Date.now().toString(36);
const topics = {
  sales: `bench.sales.${run}`,
  products: `bench.products.${run}`,
  stores: `bench.stores.${run}`,
  deadLetter: `bench.dlq.${run}`,
};
const admin = new pg.Client({ connectionString: stack.secrets.adminDatabaseUrl });
await admin.connect();
const resetSales = () => admin.query('TRUNCATE sales');

// Reference data the sales need, and an empty sales table.
await admin.query(
  `INSERT INTO products (product_id, name, unit_price) SELECT 'B' || i, 'Bench ' || i, 9.99 + i FROM generate_series(1, 5) i ON CONFLICT DO NOTHING`,
);
await admin.query(
  `INSERT INTO stores (store_id, city, region) SELECT 'S' || i, 'Paris', 'Île-de-France' FROM generate_series(1, 7) i ON CONFLICT DO NOTHING`,
);
const saleOf = (i: number) => ({
  sale_id: `bench-${run}/0/${i + 2}`,
  feed: `bench-${run}`,
  generation: 0,
  line: i + 2,
  sold_on: `2024-01-${String((i % 28) + 1).padStart(2, '0')}`,
  product_id: `B${(i % 5) + 1}`,
  store_id: `S${(i % 7) + 1}`,
  quantity: (i % 9) + 1,
});

// 1. Fill the topic (not measured).
process.stdout.write(`filling ${topics.sales} with ${rows.toLocaleString('en')} sale messages…\n`);
const kafka = testKafka(stack.endpoints.kafkaBrokers, 'bench');
await createPipelineTopics(kafka, topics);
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
for (let start = 0; start < rows; start += 5_000) {
  const messages = [];
  for (let i = start; i < Math.min(rows, start + 5_000); i++) {
    const value = saleOf(i);
    messages.push({ key: value.sale_id, value: JSON.stringify(value) });
  }
  await producer.send({ topic: topics.sales, messages, acks: 1 });
}
await producer.disconnect();

// 2. Our consumer, from the first message to the last row committed.
await resetSales();
const config = loadConsumerConfig({
  KAFKA_BROKERS: stack.endpoints.kafkaBrokers,
  DATABASE_URL: stack.secrets.databaseUrl,
  SALES_TOPIC: topics.sales,
  PRODUCTS_TOPIC: topics.products,
  STORES_TOPIC: topics.stores,
  DEADLETTER_TOPIC: topics.deadLetter,
  CONSUMER_GROUP: `bench.${run}`,
  LOG_LEVEL: 'warn',
});
const stop = new AbortController();
const started = Date.now();
const consuming = consume(config, createLogger('bench-consumer', 'warn'), stop.signal);
let stored = 0;
while (stored < rows) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  stored = Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM sales')).rows[0]?.n);
}
const consumerMs = Date.now() - started;
stop.abort();
await consuming;
const peakRssMb = Math.round(process.memoryUsage().rss / 1024 / 1024);

// 3. COPY of the same rows into the same table: the physical limit.
await resetSales();
const copyStarted = Date.now();
const copyClient = new pg.Client({ connectionString: stack.secrets.databaseUrl });
await copyClient.connect();
function* lines() {
  for (let start = 0; start < rows; start += 10_000) {
    let chunk = '';
    for (let i = start; i < Math.min(rows, start + 10_000); i++) {
      const s = saleOf(i);
      const price = (999 + ((i % 5) + 1) * 100) / 100;
      chunk += `${s.sale_id}\t${s.sold_on}\t${s.product_id}\t${s.store_id}\t${s.quantity}\t${price.toFixed(2)}\t${((Math.round(price * 100) * s.quantity) / 100).toFixed(2)}\tcomplete\t${s.feed}\t${s.line}\n`;
    }
    yield chunk;
  }
}
await pipeline(
  Readable.from(lines()),
  copyClient.query(
    copyFrom(
      'COPY sales (sale_id, sold_on, product_id, store_id, quantity, unit_price, amount, status, feed, line_number) FROM STDIN',
    ),
  ),
);
const copyMs = Date.now() - copyStarted;
await copyClient.end();
await resetSales();
await admin.end();

const consumerRate = rate(rows, consumerMs);
const copyRate = rate(rows, copyMs);
report(
  'consumer',
  {
    rows,
    consumer: { ms: consumerMs, rowsPerSecond: consumerRate },
    copy: { ms: copyMs, rowsPerSecond: copyRate },
    ratio: consumerRate / copyRate,
    peakRssMb,
  },
  [
    `## Consumer vs COPY (${rows.toLocaleString('en')} sales, same table, same run)`,
    '',
    '| path | time | rows/s |',
    '| --- | ---: | ---: |',
    `| consumer (Kafka → PostgreSQL, exactly once) | ${(consumerMs / 1000).toFixed(1)} s | ${consumerRate.toLocaleString('en')} |`,
    `| COPY into sales (the limit) | ${(copyMs / 1000).toFixed(1)} s | ${copyRate.toLocaleString('en')} |`,
    '',
    `ratio consumer / COPY: **${(consumerRate / copyRate).toFixed(2)}**; bench process peak RSS ${peakRssMb} MB`,
  ],
);
await stack.down();
process.exit(0);
