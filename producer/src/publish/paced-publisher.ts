import type { Message } from 'kafkajs';
import type { Publisher } from '../feed/feed-committer.ts';
import { CHUNK_LAST_SALE_HEADER, CHUNK_SALES_HEADER } from '../feed/feed-messages.ts';

/** A step about to be published: its sales (and cancellations), and the id of its last one. */
export interface PublishedStep {
  /** Sales (and cancellations) on the sales topic in the step: a chunk's count for each chunk. */
  sales: number;
  /** The key (sale id) of its last sale on the sales topic (cancellations aside), if it has any. */
  lastSaleId: string | undefined;
}

/**
 * `publisher`, waiting for `pace` before each step it publishes: a backfill yields there while the
 * pipeline has too much of it in flight (live sales are not queued behind the whole history). Everything
 * else is the publisher's own; a step waited for is published as it was, in one transaction.
 */
export function pacedPublisher(
  publisher: Publisher,
  salesTopic: string,
  pace: (step: PublishedStep) => Promise<void>,
): Publisher {
  return {
    loadCheckpoint: () => publisher.loadCheckpoint(),
    loadState: (ref) => publisher.loadState(ref),
    acceptedHold: () => publisher.acceptedHold(),
    reconnect: () => publisher.reconnect(),
    async publish(messages, checkpoint, state) {
      const sales = messages.get(salesTopic) ?? [];
      // The last sale, not a cancellation: a cancellation of a sale never stored leaves no row to wait for.
      const last = sales.findLast((m) => !String(m.value).includes('"op":"cancel"'));
      await pace({
        sales: sales.reduce((n, m) => n + (Number(header(m, CHUNK_SALES_HEADER)) || 1), 0),
        lastSaleId: last && (header(last, CHUNK_LAST_SALE_HEADER) ?? last.key?.toString()),
      });
      return publisher.publish(messages, checkpoint, state);
    },
  };
}

/** A header of a message being published, as text. */
function header(message: Message, name: string): string | undefined {
  const value = message.headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
}
