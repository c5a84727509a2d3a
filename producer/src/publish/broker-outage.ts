import { errorChain, kafkaAccessError } from '@sales-pipeline/platform';

/**
 * Broker answers that no reconnection mends: a missing permission, a record too big. The producer exits
 * with them.
 */
const FATAL_TYPES = new Set([
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TRANSACTION_TIMEOUT',
]);

/**
 * The broker no longer takes this producer's epoch: after a broker restart (the coordinator aborted the
 * open transaction and bumped the epoch: the usual case), or because another producer of the same feed
 * started (a real zombie). A new connection mends the first; the runner tells the second by repetition.
 */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

export function isFenced(error: unknown): boolean {
  return errorChain(error).some((e) => e.type !== undefined && FENCED_TYPES.has(e.type));
}

/** Node's codes of a connection that failed or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * Whether a failed publish is the brokers being away (a restart, a rolling upgrade, a lost connection):
 * any kafkajs error, or a socket one, but neither refused credentials, an untrusted certificate, nor a
 * fatal broker answer ({@link FATAL_TYPES}). The producer then starts the feed again from its committed
 * checkpoint, as a restarted process would, instead of exiting.
 */
export function isBrokerOutage(error: unknown): boolean {
  if (kafkaAccessError(error, []) !== undefined) return false;
  const chain = errorChain(error);
  if (chain.some((e) => e.type !== undefined && FATAL_TYPES.has(e.type))) return false;
  return chain.some(
    (e) => e.name.startsWith('KafkaJS') || (e.code !== undefined && SOCKET_CODES.has(e.code)),
  );
}
