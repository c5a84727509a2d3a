import type { Consumer } from 'kafkajs';
import type { Logger } from './logger.ts';

/**
 * The offsets a worker has handled (and stored in PostgreSQL), mirrored to Kafka now and then so that
 * Kafka tools (Redpanda Console, kafka-consumer-groups) show the group's lag. Nothing resumes from them:
 * a commit that fails or comes late only makes the shown lag stale, so failures are logged, not thrown.
 */
export class KafkaOffsetMirror {
  private readonly pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly consumer: Pick<Consumer, 'commitOffsets'>,
    private readonly log: Logger,
  ) {}

  /** Records the next offset to read of a partition, to be committed with the next {@link commit}. */
  handled(topic: string, partition: number, nextOffset: bigint): void {
    this.pending.set(`${topic}\u0000${partition}`, { topic, partition, offset: nextOffset.toString() });
  }

  /** After a rebalance: the partitions may be another member's now, whose offsets must not be overwritten. */
  forgetAll(): void {
    this.pending.clear();
  }

  /** Commits what was handled since the last commit (one request), unless a commit is still in flight. */
  commit(): Promise<void> {
    if (this.inFlight || this.pending.size === 0) return this.inFlight ?? Promise.resolve();
    const offsets = [...this.pending.values()];
    this.pending.clear();
    this.inFlight = this.consumer
      .commitOffsets(offsets)
      .catch((error: unknown) =>
        this.log.debug({ err: error }, 'could not mirror the offsets to Kafka (informational only)'),
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}
