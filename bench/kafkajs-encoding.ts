/**
 * npm run bench:encoding — the kafkajs producer's encoding cost per record, in this Node.js: a Produce
 * request (v3, as a transactional idempotent producer sends to Kafka 4) of 3 partitions × 500 sale
 * records (key, JSON value, the line-seen-at header), encoded many times. Prints µs per record.
 * Run it under two Node versions to compare them (the figure is CPU time of this process only).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: unknown) => {
  encode: () => Promise<{ buffer: Buffer }>;
};
const Long = require('kafkajs/src/utils/long.js') as { fromInt: (n: number) => unknown };

const PARTITIONS = 3;
const PER_PARTITION = 500;
const ROUNDS = Number(process.env.ENCODING_ROUNDS ?? 400);

function sale(i: number) {
  return {
    key: `ventes.csv:${i}`,
    value: JSON.stringify({
      saleId: `ventes.csv:${i}`,
      date: '2023-06-01',
      productId: `REF00${i % 10}`,
      quantity: (i % 5) + 1,
      storeId: (i % 7) + 1,
      feed: 'ventes.csv',
      line: i,
    }),
    headers: { 'line-seen-at': String(Date.now()) },
    timestamp: String(Date.now()),
  };
}

const topicData = [
  {
    topic: 'sales',
    partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({
      partition,
      firstSequence: 0,
      messages: Array.from({ length: PER_PARTITION }, (_, j) => sale(partition * PER_PARTITION + j)),
    })),
  },
];

async function round(): Promise<number> {
  const request = produceV3({
    acks: -1,
    timeout: 30000,
    transactionalId: 'sales-pipeline.producer.bench',
    producerId: Long.fromInt(1000),
    producerEpoch: 0,
    topicData,
  });
  const encoded = await request.encode();
  return encoded.buffer.length;
}

for (let i = 0; i < 50; i++) await round(); // warm-up: JIT and buffers
const records = ROUNDS * PARTITIONS * PER_PARTITION;
const cpuBefore = process.cpuUsage();
let bytes = 0;
for (let i = 0; i < ROUNDS; i++) bytes += await round();
const cpu = process.cpuUsage(cpuBefore);
const micros = (cpu.user + cpu.system) / records;
process.stdout.write(
  `${JSON.stringify({ node: process.version, records, bytesPerRecord: Math.round(bytes / records), cpuMicrosPerRecord: Number(micros.toFixed(3)) })}\n`,
);
