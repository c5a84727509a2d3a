import type { Pool, PoolClient } from 'pg';
import { isRetriableDbError, withTransaction } from './db.ts';
import { lockOffset, storeOffset } from './pg-offsets.ts';
import { RETRY_POLICIES, retry } from './retry.ts';

/** What {@link applyExactlyOnce} did with a batch. */
export interface ExactlyOnceOutcome<T> {
  /** What `work` returned; undefined when every message had been applied already. */
  result: T | undefined;
  /** Messages below the stored offset: a replay, skipped. */
  skipped: number;
  /** The offset now stored (to resume from), when the batch moved it. */
  nextOffset: bigint | undefined;
}

/**
 * The exactly-once step of every worker that writes Kafka messages into PostgreSQL: in one transaction,
 * lock the partition's stored offset, skip the messages below it (a replay), let `work` apply the rest,
 * and store the offset after the last one. Transient database errors retry the whole transaction with
 * backoff; the stored offset makes a retry after a commit whose acknowledgement was lost apply nothing
 * twice.
 */
export async function applyExactlyOnce<M extends { offset: string }, T>(
  pool: Pool,
  target: { group: string; topic: string; partition: number },
  messages: M[],
  work: (client: PoolClient, fresh: M[]) => Promise<T>,
  options: {
    signal?: AbortSignal | undefined;
    onRetry?: ((error: unknown, attempt: number, delayMs: number) => void) | undefined;
  } = {},
): Promise<ExactlyOnceOutcome<T>> {
  const { group, topic, partition } = target;
  return retry(
    () =>
      withTransaction(pool, async (client): Promise<ExactlyOnceOutcome<T>> => {
        const stored = await lockOffset(client, group, topic, partition);
        const fresh = messages.filter((m) => BigInt(m.offset) >= stored);
        const skipped = messages.length - fresh.length;
        const last = fresh.at(-1);
        if (!last) return { result: undefined, skipped, nextOffset: undefined };
        const result = await work(client, fresh);
        const nextOffset = BigInt(last.offset) + 1n;
        await storeOffset(client, group, topic, partition, nextOffset);
        return { result, skipped, nextOffset };
      }),
    {
      policy: RETRY_POLICIES.database,
      isRetriable: isRetriableDbError,
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
}
