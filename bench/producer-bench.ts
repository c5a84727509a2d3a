/**
 * npm run bench:producer — rows/s publishing an N-row CSV file (default 1,000,000) with our producer
 * (exactly once: Kafka transactions with the checkpoint), side by side in the same run with Kafka's own
 * producer performance tool on the same broker (plain acks=all, and transactional), and the ratios.
 * BENCH_ROWS sets N.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@sales-pipeline/platform';
import { loadProducerConfig, produce } from '@sales-pipeline/producer';
import { checkPrerequisites, ensureJars, loadStackConfig } from '@sales-pipeline/stack';
import { execFileSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { writeSalesCsv } from '../test-support/client-feeds.ts';
import { benchStack, rate, report, sizeFromEnv } from './bench-stack.ts';

const rows = sizeFromEnv('BENCH_ROWS', 1_000_000);
const stack = await benchStack('producer');
const run = Date.now().toString(36);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-producer-'));
const feed = path.join(dir, `bench-${run}.csv`);

// The feed: the client's format (CRLF, French header), N rows.
writeSalesCsv(feed, rows);

// 1. Our producer.
const topics = {
  SALES_TOPIC: `bench.p.sales.${run}`,
  PRODUCTS_TOPIC: `bench.p.products.${run}`,
  STORES_TOPIC: `bench.p.stores.${run}`,
  DEADLETTER_TOPIC: `bench.p.dlq.${run}`,
};
const config = loadProducerConfig({
  KAFKA_BROKERS: stack.endpoints.kafkaBrokers,
  LOG_LEVEL: 'warn',
  ...topics,
});
const started = Date.now();
const [result] = await produce(
  { sales: feed, follow: false },
  config,
  createLogger('bench-producer', 'warn'),
  new AbortController().signal,
);
const oursMs = Date.now() - started;
if (result?.rows !== rows) throw new Error(`published ${result?.rows} rows, expected ${rows}`);
const messageBytes = Math.round(
  JSON.stringify({
    sale_id: `bench-${run}/0/500002`,
    feed: `bench-${run}`,
    generation: 0,
    line: 500002,
    sold_on: '2024-01-15',
    product_id: 'REF003',
    store_id: '4',
    quantity: 5,
  }).length,
);

// 2. Kafka's ProducerPerformance on the same broker, records of the same size.
const stackConfig = loadStackConfig();
const prerequisites = checkPrerequisites(stackConfig);
const jars = await ensureJars(stackConfig.cacheDir, prerequisites.mvn);
// Topics are never auto-created on our broker: make the tool's, shaped like the sales topic (3 partitions).
const perfTopics = [`bench.perf.${run}.plain`, `bench.perf.${run}.tx`];
const admin = new Kafka({
  clientId: 'bench',
  brokers: stack.endpoints.kafkaBrokers.split(','),
  logLevel: logLevel.NOTHING,
}).admin();
await admin.connect();
await admin.createTopics({
  waitForLeaders: true,
  topics: perfTopics.map((topic) => ({ topic, numPartitions: 3 })),
});
await admin.disconnect();
function perfTool(topic: string, extra: string[]): { rowsPerSecond: number; line: string } {
  const output = execFileSync(
    prerequisites.java,
    [
      '-Xmx512m',
      '-cp',
      path.join(jars.libDir, '*'),
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(rows),
      '--record-size',
      String(messageBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${stack.endpoints.kafkaBrokers}`,
      'acks=all',
      ...extra,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 600_000 },
  );
  const line =
    output
      .trim()
      .split('\n')
      .filter((l) => l.includes('records sent'))
      .at(-1) ?? '';
  const match = /records sent, ([\d.]+) records\/sec/.exec(line);
  if (!match) throw new Error(`could not read ProducerPerformance output: ${output.slice(-500)}`);
  return { rowsPerSecond: Math.round(Number(match[1])), line };
}
const plain = perfTool(perfTopics[0] as string, []);
const transactional = perfTool(perfTopics[1] as string, [
  '--transactional-id',
  `bench-perf-${run}`,
  '--transaction-duration-ms',
  '100',
]);
fs.rmSync(dir, { recursive: true, force: true });

const ours = rate(rows, oursMs);
report(
  'producer',
  {
    rows,
    messageBytes,
    ours: { ms: oursMs, rowsPerSecond: ours },
    kafkaPerfPlain: plain,
    kafkaPerfTransactional: transactional,
    ratioToPlain: ours / plain.rowsPerSecond,
    ratioToTransactional: ours / transactional.rowsPerSecond,
  },
  [
    `## Producer vs Kafka's ProducerPerformance (${rows.toLocaleString('en')} rows, ~${messageBytes}-byte records, same broker, same run)`,
    '',
    '| path | rows/s | ratio ours / it |',
    '| --- | ---: | ---: |',
    `| our producer: CSV file → topic, exactly once (transactions + checkpoint) | ${ours.toLocaleString('en')} | |`,
    `| ProducerPerformance, acks=all | ${plain.rowsPerSecond.toLocaleString('en')} | ${(ours / plain.rowsPerSecond).toFixed(2)} |`,
    `| ProducerPerformance, transactional (100 ms transactions) | ${transactional.rowsPerSecond.toLocaleString('en')} | ${(ours / transactional.rowsPerSecond).toFixed(2)} |`,
  ],
);
await stack.down();
process.exit(0);
