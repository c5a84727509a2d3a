import { isRetriableDbError } from '@sales-pipeline/platform';

/**
 * Whether a backfill failed for a while only (the database or the brokers away): it stays open, holding
 * its milestones, and the same command goes on from its checkpoint. Any other failure (a wrong header, a
 * history URL that does not answer) closes it at once, so that it holds nothing while someone fixes
 * the source. Pure.
 */
export function isTransientFailure(error: unknown): boolean {
  if (isRetriableDbError(error)) return true;
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    // kafkajs's errors: a broker gone, a connection lost, a request timed out (KafkaJSConnectionError, …).
    if (e.name.startsWith('KafkaJS')) return true;
  }
  return false;
}
