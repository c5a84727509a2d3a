import { describe, expect, it } from 'vitest';
import { startWorker, stopWorker } from '../../test-support/cli-processes.ts';
import { eventually } from '../../test-support/eventually.ts';
import { DEFERRED_OFFSETS_FLUSH_MS } from '../src/deferred-offsets.ts';
import { withAdmin } from '../../test-support/kafka-clients.ts';
import { stackKafka, storedOffset } from '../../test-support/test-stack.ts';
import { stackWorkerEnv } from '../../test-support/worker-env.ts';

/** A sale's change event as Debezium writes it (JSON, no schema), for a sale far below the big-sale rule. */
const smallSale = (n: number) =>
  JSON.stringify({
    op: 'c',
    before: null,
    after: { sale_id: `S${n}`, amount: '12.50', product_id: 'P1', store_id: 'M1', quantity: 1 },
    source: { schema: 'public', table: 'sales' },
  });

describe('notifier offsets', () => {
  it('stores the offsets of changes that record nothing about once a second, not in a transaction per batch', async () => {
    const prefix = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
    const group = `g.${prefix}.notifier`;
    const salesTopic = `${prefix}.public.sales`;
    const kafka = stackKafka('test-notifier-offsets');
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        topics: [
          'analytics.revenue_total',
          'analytics.by_product',
          'analytics.by_store_day',
          'public.sales',
        ].map((table) => ({ topic: `${prefix}.${table}`, numPartitions: 1 })),
        waitForLeaders: true,
      }),
    );
    const notifier = startWorker(
      ['notify'],
      stackWorkerEnv({
        CDC_TOPIC_PREFIX: prefix,
        NOTIFIER_GROUP: group,
        NOTIFIER_SESSION_TIMEOUT_MS: '6000',
      }),
    );
    const producer = kafka.producer();
    await producer.connect();
    try {
      // The first change shows the notifier has joined and stores this partition's offset.
      await producer.send({ topic: salesTopic, messages: [{ value: smallSale(0) }] });
      await eventually(
        () => storedOffset(group, salesTopic, 0),
        (offset) => offset === 1n,
      );
      // Then 40 more, one every 25 ms: each its own batch. The stored offset is sampled meanwhile.
      const seen = new Set<bigint>();
      const started = Date.now();
      let sending = true;
      const sampling = (async () => {
        while (sending) {
          seen.add(await storedOffset(group, salesTopic, 0));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      for (let n = 1; n <= 40; n++) {
        await producer.send({ topic: salesTopic, messages: [{ value: smallSale(n) }] });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      sending = false;
      await sampling;
      const elapsedMs = Date.now() - started;
      // Every change is accounted for: the stored offset reaches the end within the flush interval…
      await eventually(
        () => storedOffset(group, salesTopic, 0),
        (offset) => offset === 41n,
        10_000,
      );
      // …but it moved about once a flush, not once per batch (a transaction for each of 40 batches before):
      // the offset it started from, one value per flush interval that passed, and a margin of one.
      expect(seen.size).toBeLessThanOrEqual(Math.ceil(elapsedMs / DEFERRED_OFFSETS_FLUSH_MS) + 3);
      expect(seen.size).toBeLessThan(20);
      expect(await storedOffset(group, salesTopic, 0)).toBe(41n);
    } finally {
      await producer.disconnect();
      await stopWorker(notifier);
    }
  });
});
