import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The kafkajs release whose Cluster this replaces a method of (the last one, 2.2.4). */
const FIXED_VERSION = '2.2.4';

/** kafkajs's coordinator type of a transactional id (src/protocol/coordinatorTypes.js). */
const TRANSACTION = 1;

/** The broker calls a transactional producer makes on its coordinator: a failure of any forgets it. */
const COORDINATOR_CALLS = new Set(['initProducerId', 'addPartitionsToTxn', 'endTxn', 'addOffsetsToTxn']);

/**
 * The failures after which the coordinator is looked up again, as the Java client does: the node is no
 * longer (or not yet) the coordinator, or it cannot be reached. kafkajs's names for NOT_COORDINATOR (16)
 * and COORDINATOR_NOT_AVAILABLE (15), and its connection errors. CONCURRENT_TRANSACTIONS, a fenced epoch
 * and the like are answers of the right coordinator.
 */
const COORDINATOR_GONE_TYPES = new Set(['NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE']);
const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
]);

/** The coordinator answered that it is not (or not yet) the coordinator of the transactional id. */
function coordinatorMoved(error: unknown): boolean {
  const { type } = (error ?? {}) as { type?: unknown };
  return typeof type === 'string' && COORDINATOR_GONE_TYPES.has(type);
}

/** Whether `error` says the cached coordinator should be asked for again. */
export function coordinatorGone(error: unknown): boolean {
  const { name } = (error ?? {}) as { name?: unknown };
  return coordinatorMoved(error) || (typeof name === 'string' && CONNECTION_ERRORS.has(name));
}

type Broker = Record<string, unknown>;
type Call = (...args: unknown[]) => Promise<unknown>;

/** The part of kafkajs's Cluster (src/cluster/index.js) the fix below touches. */
export interface ClusterState {
  findGroupCoordinator(options: { groupId: string; coordinatorType?: number }): Promise<Broker>;
  findBroker(options: { nodeId: string | number }): Promise<Broker>;
}

/**
 * Calls kafkajs makes once, without a retry of its own (eosManager's commit, abort and sendOffsets): before
 * the cache, the lookup just before them found a coordinator that had moved during the transaction.
 */
const NOT_RETRIED_BY_KAFKAJS = new Set(['endTxn', 'addOffsetsToTxn']);

/** Per cluster (one per kafkajs client): transactional id → the node id of its coordinator. */
const known = new WeakMap<object, Map<string, number | string>>();

/**
 * The broker with its coordinator calls wrapped: a call that fails because the node is not the coordinator
 * any more, or cannot be reached, forgets the cached node, so the next lookup asks the cluster. EndTxn and
 * AddOffsetsToTxn, which kafkajs does not retry, are sent once more, to the coordinator `lookUp` finds, when
 * the node answered that it is not the coordinator (as the Java client does; not after a lost connection,
 * where the first request may have been taken), and not a third time.
 */
function forgettingOnFailure(broker: Broker, forget: () => void, lookUp: () => Promise<Broker>): Broker {
  return new Proxy(broker, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || !COORDINATOR_CALLS.has(property) || typeof value !== 'function')
        return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as Call).apply(target, args);
        } catch (error) {
          if (!coordinatorGone(error)) throw error;
          forget();
          if (!NOT_RETRIED_BY_KAFKAJS.has(property) || !coordinatorMoved(error)) throw error;
          const moved = await lookUp();
          try {
            return await (moved[property] as Call).apply(moved, args);
          } catch (again) {
            if (coordinatorGone(again)) forget();
            throw again;
          }
        }
      };
    },
  });
}

type FindGroupCoordinator = ClusterState['findGroupCoordinator'];

/**
 * kafkajs 2.2.4's transactional producer looks its coordinator up (a FindCoordinator round trip) before
 * every call to it: AddPartitionsToTxn, EndTxn, AddOffsetsToTxn. A transaction of the ingest server is five
 * sequential round trips where three do; one of a feed (which also stores its checkpoint as a group
 * offset) nine where six do. The Java client keeps the coordinator until a call fails with NOT_COORDINATOR
 * or COORDINATOR_NOT_AVAILABLE, then looks it up and sends the call again; so does this: the transaction
 * coordinator's node is remembered per transactional id and forgotten when a call to it fails for one of
 * those reasons or a lost connection (kafkajs's own retries of AddPartitionsToTxn and InitProducerId then
 * look it up again; EndTxn and AddOffsetsToTxn are sent again here). Group coordinators are left as they
 * were (the consumer keeps its own).
 */
export function cachingFindGroupCoordinator(original: FindGroupCoordinator): FindGroupCoordinator {
  return async function (this: ClusterState, options) {
    if (options.coordinatorType !== TRANSACTION) return original.call(this, options);
    let nodes = known.get(this);
    if (!nodes) known.set(this, (nodes = new Map()));
    const forget = () => nodes.delete(options.groupId);
    const lookUp = async (): Promise<Broker> => {
      const found = await original.call(this, options);
      const nodeId = found.nodeId;
      if (typeof nodeId === 'number' || typeof nodeId === 'string') nodes.set(options.groupId, nodeId);
      return found;
    };
    const nodeId = nodes.get(options.groupId);
    let broker: Broker | undefined;
    if (nodeId !== undefined) {
      try {
        broker = await this.findBroker({ nodeId });
      } catch {
        forget(); // the node left the cluster: ask again
      }
    }
    broker ??= await lookUp();
    return forgettingOnFailure(broker, forget, lookUp);
  };
}

let installed = false;

/**
 * Installs the fix above into kafkajs's Cluster, once per process. Returns false, changing nothing, for
 * another kafkajs version than the one it fixes.
 */
export function fixKafkajsCoordinatorLookups(): boolean {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== FIXED_VERSION) return false;
  if (installed) return true;
  const Cluster = require('kafkajs/src/cluster/index.js') as { prototype: ClusterState };
  Cluster.prototype.findGroupCoordinator = cachingFindGroupCoordinator(
    Cluster.prototype.findGroupCoordinator,
  );
  installed = true;
  return true;
}
