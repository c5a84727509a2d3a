import { Partitioners, type Admin, type Kafka, type Message, type Producer } from 'kafkajs';
import { decodeCheckpoint, encodeCheckpoint, type FeedCheckpoint } from './feed-checkpoint.ts';

/** Messages to publish in one transaction, by topic. */
export type TopicMessages = Map<string, Message[]>;

/** Messages per produce request: keeps each partition's record batch under the broker's 1 MiB limit. */
const MESSAGES_PER_SEND = 2_000;

/**
 * Publishes one feed exactly once. Each step's messages and the feed's checkpoint are committed in one
 * Kafka transaction: the checkpoint is stored as the offset-commit metadata of a consumer group named
 * after the feed (`sendOffsets`), so it becomes visible exactly when the messages do. The transactional
 * id is per feed: a restarted producer fences its zombie and aborts whatever it left open.
 */
export class FeedPublisher {
  private readonly producer: Producer;
  readonly checkpointGroup: string;

  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly feed: string,
    private readonly checkpointTopic: string,
  ) {
    this.checkpointGroup = `sales-pipeline.producer.${feed}`;
    this.producer = kafka.producer({
      transactionalId: `sales-pipeline.producer.${feed}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      createPartitioner: Partitioners.DefaultPartitioner,
      // An idempotent producer must not give up on a send it may have half-done: retry through outages.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 10, maxRetryTime: 10_000 },
    });
  }

  /** Connects; this initializes the transactional id, which aborts a transaction a crash left open. */
  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /** The last committed checkpoint of this feed, or undefined when it was never published. */
  async loadCheckpoint(): Promise<FeedCheckpoint | undefined> {
    const [topic] = await this.admin.fetchOffsets({
      groupId: this.checkpointGroup,
      topics: [this.checkpointTopic],
    });
    const partition = topic?.partitions.find((p) => p.partition === 0);
    return decodeCheckpoint(partition?.metadata);
  }

  /** Publishes `messages` and moves the checkpoint, all or nothing. */
  async publish(messages: TopicMessages, checkpoint: FeedCheckpoint): Promise<void> {
    const transaction = await this.producer.transaction();
    try {
      for (const [topic, all] of messages) {
        for (let i = 0; i < all.length; i += MESSAGES_PER_SEND) {
          await transaction.send({ topic, messages: all.slice(i, i + MESSAGES_PER_SEND), acks: -1 });
        }
      }
      await transaction.sendOffsets({
        consumerGroupId: this.checkpointGroup,
        topics: [
          {
            topic: this.checkpointTopic,
            partitions: [
              {
                partition: 0,
                offset: String(checkpoint.cursor.offset),
                metadata: encodeCheckpoint(checkpoint),
              } as { partition: number; offset: string },
            ],
          },
        ],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }
}
