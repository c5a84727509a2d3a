import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { applyExactlyOnce, createKafka, createLogger, runPartitionWorker } from '@sales-pipeline/platform';
import { eventually } from '../../test-support/eventually.ts';
import { withAdmin } from '../../test-support/kafka-clients.ts';
import { stackKafka, storedOffset } from '../../test-support/test-stack.ts';

const unique = (name: string) => `${name}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** Records written to the group coordinator's log so far (every partition of __consumer_offsets). */
const offsetsLogEnd = () =>
  withAdmin(stackKafka('test-offsets-log'), async (admin) =>
    (await admin.fetchTopicOffsets('__consumer_offsets')).reduce((sum, p) => sum + Number(p.high), 0),
  );

/** The group's offset committed in Kafka for partition 0 of `topic` (-1 when none). */
const kafkaCommitted = (group: string, topic: string) =>
  withAdmin(stackKafka('test-offsets-read'), async (admin) => {
    const [read] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return Number(read?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
  });

describe('partition worker', () => {
  it('stores its offsets with each batch, and mirrors them to Kafka every few seconds, not after each batch', async () => {
    const topic = unique('pw-topic');
    const group = unique('pw-group');
    const logger = createLogger('test-partition-worker', 'silent');
    const kafka = createKafka({
      clientId: 'test-partition-worker',
      brokers: inject('stack').endpoints.kafkaBrokers.split(','),
      logger,
    });
    await withAdmin(kafka, (admin) =>
      admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }),
    );
    const pool = new pg.Pool({ connectionString: inject('stack').secrets.adminDatabaseUrl, max: 2 });
    const producer = kafka.producer();
    await producer.connect();
    const stop = new AbortController();
    const worker = runPartitionWorker({
      kafka,
      pool,
      logger,
      group,
      topics: [topic],
      sessionTimeoutMs: 10_000,
      kafkaCommitIntervalMs: 2_000,
      stop: stop.signal,
      handleBatch: async (batch) =>
        (
          await applyExactlyOnce(
            pool,
            { group, topic, partition: batch.partition },
            batch.messages,
            async () => undefined,
          )
        ).nextOffset,
    });
    const sendOneAndWait = async (n: number) => {
      await producer.send({ topic, messages: [{ value: `m${n}` }] });
      await eventually(
        () => storedOffset(group, topic, 0),
        (offset) => offset === BigInt(n + 1),
      );
    };
    try {
      await sendOneAndWait(0);
      const before = await offsetsLogEnd();
      // One message at a time: each is a batch of its own, in its own transaction.
      for (let n = 1; n <= 20; n++) await sendOneAndWait(n);
      const written = (await offsetsLogEnd()) - before;
      // kafkajs's auto-commit wrote one record per batch (20 or more); the mirror one per interval.
      expect(written).toBeLessThan(10);
      // Kafka still shows where the group is, within the interval.
      await eventually(
        () => kafkaCommitted(group, topic),
        (offset) => offset === 21,
        15_000,
      );
    } finally {
      stop.abort();
      await worker;
      await producer.disconnect();
      await pool.end();
    }
  });
});
