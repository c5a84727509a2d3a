import { describe, expect, it } from 'vitest';
import {
  cachingFindGroupCoordinator,
  coordinatorGone,
  fixKafkajsCoordinatorLookups,
  type ClusterState,
} from './kafkajs-transaction-coordinator.ts';

const TRANSACTION = 1;
const GROUP = 0;

type Call = () => Promise<unknown>;
interface FakeBroker {
  nodeId: number;
  endTxn: Call;
  addPartitionsToTxn: Call;
  isConnected: () => boolean;
}

const broker = (nodeId: number, calls: Partial<FakeBroker> = {}): FakeBroker => ({
  nodeId,
  endTxn: () => Promise.resolve(`ended on ${nodeId}`),
  addPartitionsToTxn: () => Promise.resolve(`added on ${nodeId}`),
  isConnected: () => true,
  ...calls,
});

/**
 * A kafkajs-like cluster whose coordinator lookups are counted: the n-th lookup finds `coordinators[n]`
 * (the last one from then on), and `findBroker` gives any of them by node id.
 */
function cluster(...coordinators: FakeBroker[]) {
  const lookups = { count: 0 };
  const base: ClusterState = {
    findGroupCoordinator: () => {
      const found = coordinators[Math.min(lookups.count, coordinators.length - 1)];
      lookups.count += 1;
      return Promise.resolve(found as unknown as Record<string, unknown>);
    },
    findBroker: ({ nodeId }) =>
      Promise.resolve(coordinators.find((b) => b.nodeId === nodeId) as unknown as Record<string, unknown>),
  };
  const find = cachingFindGroupCoordinator(base.findGroupCoordinator);
  const c = Object.assign(Object.create(null) as object, base, {
    findGroupCoordinator: find,
  }) as ClusterState;
  const coordinator = async () =>
    (await c.findGroupCoordinator({ groupId: 'tx', coordinatorType: TRANSACTION })) as unknown as FakeBroker;
  return { c, lookups, coordinator };
}

const protocolError = (type: string) =>
  Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type });
const notCoordinator = () => protocolError('NOT_COORDINATOR_FOR_GROUP');
const lostConnection = () => Object.assign(new Error('closed'), { name: 'KafkaJSConnectionClosedError' });

describe('the transaction coordinator cache', () => {
  it('applies to the kafkajs release in use', () => {
    expect(fixKafkajsCoordinatorLookups()).toBe(true);
  });

  it('looks a transactional id up once, and groups every time (the consumer keeps its own)', async () => {
    const { c, lookups, coordinator } = cluster(broker(1));
    for (let i = 0; i < 3; i++) await coordinator();
    expect(lookups.count).toBe(1);
    for (let i = 0; i < 3; i++) await c.findGroupCoordinator({ groupId: 'g', coordinatorType: GROUP });
    expect(lookups.count).toBe(4);
  });

  it('keeps the coordinator after an answer of the right coordinator (CONCURRENT_TRANSACTIONS, fenced)', async () => {
    let error = protocolError('CONCURRENT_TRANSACTIONS');
    const { lookups, coordinator } = cluster(broker(1, { endTxn: () => Promise.reject(error) }));
    await expect((await coordinator()).endTxn()).rejects.toBe(error);
    error = protocolError('INVALID_PRODUCER_EPOCH');
    await expect((await coordinator()).endTxn()).rejects.toBe(error);
    await coordinator();
    expect(lookups.count).toBe(1);
  });

  it.each([
    ['NOT_COORDINATOR', notCoordinator()],
    ['COORDINATOR_NOT_AVAILABLE', protocolError('GROUP_COORDINATOR_NOT_AVAILABLE')],
    ['a lost connection', lostConnection()],
  ])('looks it up again after %s (kafkajs retries AddPartitionsToTxn itself)', async (_, error) => {
    const { lookups, coordinator } = cluster(
      broker(1, { addPartitionsToTxn: () => Promise.reject(error) }),
      broker(2),
    );
    await expect((await coordinator()).addPartitionsToTxn()).rejects.toBe(error);
    expect(await (await coordinator()).addPartitionsToTxn()).toBe('added on 2');
    expect(lookups.count).toBe(2);
  });

  it('sends EndTxn again, once, to the coordinator that took over (kafkajs does not retry it)', async () => {
    const { lookups, coordinator } = cluster(
      broker(1, { endTxn: () => Promise.reject(notCoordinator()) }),
      broker(2),
    );
    expect(await (await coordinator()).endTxn()).toBe('ended on 2');
    expect(lookups.count).toBe(2);
    expect(await (await coordinator()).endTxn()).toBe('ended on 2'); // the new node is cached
    expect(lookups.count).toBe(2);

    const stubborn = cluster(broker(1, { endTxn: () => Promise.reject(notCoordinator()) }));
    await expect((await stubborn.coordinator()).endTxn()).rejects.toMatchObject({
      type: 'NOT_COORDINATOR_FOR_GROUP',
    });
    expect(stubborn.lookups.count).toBe(2); // one more lookup, not a loop
  });

  it('does not send EndTxn again after a lost connection (the first may have been taken)', async () => {
    const error = lostConnection();
    let sent = 0;
    const { lookups, coordinator } = cluster(
      broker(1, {
        endTxn: () => {
          sent += 1;
          return Promise.reject(error);
        },
      }),
    );
    await expect((await coordinator()).endTxn()).rejects.toBe(error);
    expect(sent).toBe(1);
    await coordinator();
    expect(lookups.count).toBe(2);
  });

  it('tells the coordinator’s failures from the others', () => {
    expect(coordinatorGone(notCoordinator())).toBe(true);
    expect(coordinatorGone(protocolError('CONCURRENT_TRANSACTIONS'))).toBe(false);
    expect(coordinatorGone(undefined)).toBe(false);
  });
});
