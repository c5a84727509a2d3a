import type { Producer } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createKafka, createLogger } from '@sales-pipeline/platform';
import { withAdmin } from '../../test-support/kafka-clients.ts';

const unique = (name: string) => `${name}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

const kafka = () =>
  createKafka({
    clientId: 'test-kafkajs-transactions',
    brokers: inject('stack').endpoints.kafkaBrokers.split(','),
    logger: createLogger('test-kafkajs-transactions', 'silent'),
  });

/** The requests a producer sent so far, by API name (kafkajs's REQUEST instrumentation event). */
function requestCounts(producer: Producer): Map<string, number> {
  const counts = new Map<string, number>();
  producer.on(producer.events.REQUEST, ({ payload }) =>
    counts.set(payload.apiName, (counts.get(payload.apiName) ?? 0) + 1),
  );
  return counts;
}

async function newTopic(): Promise<string> {
  const topic = unique('kjs-txn');
  await withAdmin(kafka(), (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }),
  );
  return topic;
}

const transactional = (transactionalId: string) =>
  kafka().producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });

describe('kafkajs transactions (with the platform’s coordinator fix)', () => {
  it('look the transaction coordinator up once, not before every AddPartitionsToTxn and EndTxn (retries included)', async () => {
    const topic = await newTopic();
    const producer = transactional(unique('kjs-txn-id'));
    const requests = requestCounts(producer);
    await producer.connect();
    let lookupsAtStart = 0;
    try {
      for (let i = 0; i < 6; i++) {
        // The first transaction's InitProducerId finds the coordinator (kafkajs retries while it loads).
        if (i === 1) lookupsAtStart = requests.get('GroupCoordinator') ?? 0;
        const transaction = await producer.transaction();
        await transaction.send({ topic, messages: [{ value: `m${i}` }], acks: -1 });
        await transaction.commit();
      }
    } finally {
      await producer.disconnect();
    }
    expect(lookupsAtStart).toBeGreaterThan(0);
    expect(requests.get('EndTxn')).toBe(6);
    // kafkajs 2.2.4 alone: 10 or more for the next five transactions (one before each AddPartitionsToTxn,
    // retries after CONCURRENT_TRANSACTIONS included, and one before each EndTxn).
    expect(requests.get('GroupCoordinator')).toBe(lookupsAtStart);
  });
});
