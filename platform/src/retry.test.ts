import { describe, expect, it } from 'vitest';
import { retry } from './retry.ts';

const transient = new Error('connection reset');
const policy = { initialDelayMs: 60_000, maxDelayMs: 60_000, maxAttempts: Number.POSITIVE_INFINITY };

describe('retry', () => {
  it('stops without another try when the signal aborts during its wait', async () => {
    const controller = new AbortController();
    let tries = 0;
    const result = retry(
      async () => {
        tries++;
        throw transient;
      },
      { policy, isRetriable: () => true, signal: controller.signal, onRetry: () => controller.abort() },
    );
    await expect(result).rejects.toBe(transient);
    expect(tries).toBe(1);
  });

  it('retries a retriable error until the work succeeds', async () => {
    let tries = 0;
    const value = await retry(
      async () => {
        if (++tries < 3) throw transient;
        return 'done';
      },
      { policy: { initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 5 }, isRetriable: () => true },
    );
    expect({ value, tries }).toEqual({ value: 'done', tries: 3 });
  });
});
