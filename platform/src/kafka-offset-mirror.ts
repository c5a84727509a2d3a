import type { Consumer } from 'kafkajs';
import type { Logger } from './logger.ts';
import { PendingOffsets } from './pending-offsets.ts';

/**
 * The offsets a worker has handled (and stored in PostgreSQL), mirrored to Kafka now and then so that
 * Kafka tools (Redpanda Console, kafka-consumer-groups) show the group's lag. Nothing resumes from them:
 * a commit that fails or comes late only makes the shown lag stale, so failures are logged, not thrown.
 */
export class KafkaOffsetMirror {
  private readonly pending = new PendingOffsets();

  constructor(
    private readonly consumer: Pick<Consumer, 'commitOffsets'>,
    private readonly log: Logger,
  ) {}

  /** Records the next offset to read of a partition, to be committed with the next {@link commit}. */
  handled(topic: string, partition: number, nextOffset: bigint): void {
    this.pending.note(topic, partition, nextOffset);
  }

  /** After a rebalance: the partitions may be another member's now, whose offsets must not be overwritten. */
  forgetAll(): void {
    this.pending.forget();
  }

  /** Commits what was handled since the last commit (one request), unless a commit is still in flight. */
  commit(): Promise<void> {
    return this.pending.flush((offsets) =>
      this.consumer
        .commitOffsets(
          offsets.map(({ topic, partition, next }) => ({ topic, partition, offset: String(next) })),
        )
        .catch((error: unknown) =>
          this.log.debug({ err: error }, 'could not mirror the offsets to Kafka (informational only)'),
        ),
    );
  }
}
