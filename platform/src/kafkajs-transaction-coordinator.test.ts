import { describe, expect, it } from 'vitest';
import {
  cachingFindGroupCoordinator,
  coordinatorGone,
  fixKafkajsCoordinatorLookups,
  type ClusterState,
} from './kafkajs-transaction-coordinator.ts';

const TRANSACTION = 1;
const GROUP = 0;

/** A kafkajs-like cluster whose coordinator lookups are counted and whose coordinator answers `endTxn`. */
function cluster(endTxn: () => Promise<unknown>) {
  const lookups = { count: 0 };
  const broker = { nodeId: 1, endTxn, isConnected: () => true };
  const base: ClusterState = {
    findGroupCoordinator: () => {
      lookups.count += 1;
      return Promise.resolve(broker);
    },
    findBroker: () => Promise.resolve(broker),
  };
  const find = cachingFindGroupCoordinator(base.findGroupCoordinator);
  const c = Object.assign(Object.create(null) as object, base, {
    findGroupCoordinator: find,
  }) as ClusterState;
  return { c, lookups };
}

const protocolError = (type: string) =>
  Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type });

describe('the transaction coordinator cache', () => {
  it('applies to the kafkajs release in use', () => {
    expect(fixKafkajsCoordinatorLookups()).toBe(true);
  });

  it('looks a transactional id up once, and groups every time (the consumer keeps its own)', async () => {
    const { c, lookups } = cluster(() => Promise.resolve());
    for (let i = 0; i < 3; i++) await c.findGroupCoordinator({ groupId: 'tx', coordinatorType: TRANSACTION });
    expect(lookups.count).toBe(1);
    for (let i = 0; i < 3; i++) await c.findGroupCoordinator({ groupId: 'g', coordinatorType: GROUP });
    expect(lookups.count).toBe(4);
  });

  it('keeps the coordinator after an answer of the right coordinator (CONCURRENT_TRANSACTIONS, fenced)', async () => {
    let error = protocolError('CONCURRENT_TRANSACTIONS');
    const { c, lookups } = cluster(() => Promise.reject(error));
    const broker = (await c.findGroupCoordinator({ groupId: 'tx', coordinatorType: TRANSACTION })) as {
      endTxn: () => Promise<unknown>;
    };
    await expect(broker.endTxn()).rejects.toBe(error);
    error = protocolError('INVALID_PRODUCER_EPOCH');
    await expect(broker.endTxn()).rejects.toBe(error);
    await c.findGroupCoordinator({ groupId: 'tx', coordinatorType: TRANSACTION });
    expect(lookups.count).toBe(1);
  });

  it.each([
    ['NOT_COORDINATOR', protocolError('NOT_COORDINATOR_FOR_GROUP')],
    ['COORDINATOR_NOT_AVAILABLE', protocolError('GROUP_COORDINATOR_NOT_AVAILABLE')],
    ['a lost connection', Object.assign(new Error('closed'), { name: 'KafkaJSConnectionClosedError' })],
  ])('looks it up again after %s', async (_, error) => {
    const { c, lookups } = cluster(() => Promise.reject(error));
    const broker = (await c.findGroupCoordinator({ groupId: 'tx', coordinatorType: TRANSACTION })) as {
      endTxn: () => Promise<unknown>;
    };
    await expect(broker.endTxn()).rejects.toBe(error);
    await c.findGroupCoordinator({ groupId: 'tx', coordinatorType: TRANSACTION });
    expect(lookups.count).toBe(2);
  });

  it('tells the coordinator’s failures from the others', () => {
    expect(coordinatorGone(protocolError('NOT_COORDINATOR_FOR_GROUP'))).toBe(true);
    expect(coordinatorGone(protocolError('CONCURRENT_TRANSACTIONS'))).toBe(false);
    expect(coordinatorGone(undefined)).toBe(false);
  });
});
