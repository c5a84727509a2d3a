import { setTimeout as sleep } from 'node:timers/promises';

/** How to retry: exponential backoff with jitter, capped. */
export interface RetryPolicy {
  /** First wait, ms. */
  initialDelayMs: number;
  /** Longest wait between two tries, ms. */
  maxDelayMs: number;
  /** Give up after this many tries (Infinity: until stopped). */
  maxAttempts: number;
}

export const RETRY_POLICIES = {
  /** Database outages: keep trying (a restart takes seconds), never lose the batch. */
  database: { initialDelayMs: 100, maxDelayMs: 5_000, maxAttempts: Number.POSITIVE_INFINITY },
  /** Kafka brokers away (a restart, a rolling upgrade): keep trying to reconnect until stopped. */
  kafkaOutage: { initialDelayMs: 250, maxDelayMs: 10_000, maxAttempts: Number.POSITIVE_INFINITY },
} satisfies Record<string, RetryPolicy>;

/**
 * Runs `work` until it succeeds, retrying only errors `isRetriable` accepts, waiting more each time.
 * Stops (rethrowing the last error) when `signal` aborts or the attempts run out.
 */
export async function retry<T>(
  work: (attempt: number) => Promise<T>,
  options: {
    policy: RetryPolicy;
    isRetriable: (error: unknown) => boolean;
    onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
    signal?: AbortSignal;
  },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (!options.isRetriable(error) || attempt >= options.policy.maxAttempts || options.signal?.aborted)
        throw error;
      const base = Math.min(options.policy.maxDelayMs, options.policy.initialDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, undefined, { signal: options.signal }).catch(() => undefined);
      // Stopped while waiting: give up with the last error rather than try once more.
      if (options.signal?.aborted) throw error;
    }
  }
}
