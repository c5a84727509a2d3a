import { databaseEndpoint, describeError, isRetriableDbError, PipelineError } from '@sales-pipeline/platform';

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

/**
 * A transient failure ({@link isTransientFailure}) said as what it is: the database or the brokers do not
 * answer, where they are (never a password), and that the same command goes on from where it stopped.
 * Pure.
 */
export function pipelineAwayError(
  error: unknown,
  where: { databaseUrl: string; kafkaBrokers: string },
): PipelineError {
  const database = isRetriableDbError(error);
  const what = database
    ? `PostgreSQL at ${databaseEndpoint(where.databaseUrl)} does not answer`
    : `Kafka at ${where.kafkaBrokers} does not answer`;
  // Node gives a refused `localhost` (both its addresses) as an AggregateError with no message of its own.
  const cause = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  return new PipelineError(`backfill stopped: ${what} (${describeError(cause)})`, {
    code: 'BACKFILL_PIPELINE_AWAY',
    retriable: true,
    hint: `Start the pipeline (sales-pipeline up) or check ${database ? 'DATABASE_URL' : 'KAFKA_BROKERS'}, then run the same command again: the backfill goes on from where it stopped, nothing published twice.`,
    cause: error,
  });
}
