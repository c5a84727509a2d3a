import type {
  Admin,
  Kafka,
  Message,
  Producer,
  Transaction,
  TopicMessages as KafkaTopicMessages,
} from 'kafkajs';
import { retry } from '@sales-pipeline/platform';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  type FeedCheckpoint,
  type StateRef,
} from '../feed/feed-checkpoint.ts';
import type { StateLine } from '../feed/plan-version.ts';
import { loadState } from '../feed/snapshot-state-store.ts';
import { KeyPartitioner } from './key-partitioner.ts';

/** The consumer group whose committed offset on the feed-state topic is the hold `feed accept` accepted. */
export const acceptGroup = (feed: string) => `sales-pipeline.producer.${feed}.accept`;

/** Messages to publish in one transaction, by topic. */
export type TopicMessages = Map<string, Message[]>;

/**
 * Limits of one produce request. Each partition's messages in a request form one record batch, which the
 * broker refuses above `message.max.bytes` (1 MiB by default): a count alone does not bound it, since a
 * dead letter of a hostile line can weigh hundreds of KiB (its raw text, JSON-escaped, and its base64).
 */
export const SEND_LIMITS = { messages: 2_000, bytes: 512 * 1024 };

/**
 * Runs a transactional request again while the broker answers CONCURRENT_TRANSACTIONS: the previous
 * transaction of this producer is still being completed (its commit markers written). The broker expects
 * the client to retry (Kafka's Java client does); kafkajs does not for AddOffsetsToTxn, so a publish right
 * after another one (a feed of a header alone: the first step, then the flush) failed the whole run.
 */
export function retryWhileConcurrentTransactions<T>(
  operation: () => Promise<T>,
  { attempts = 50, delayMs = 20, maxDelayMs = 500 } = {},
): Promise<T> {
  return retry(operation, {
    policy: { initialDelayMs: delayMs, maxDelayMs, maxAttempts: attempts },
    isRetriable: (error) => (error as { type?: unknown }).type === 'CONCURRENT_TRANSACTIONS',
  });
}

/** A record's size on the wire beyond its key, value and headers: an upper bound. */
const RECORD_OVERHEAD_BYTES = 64;

const byteLength = (value: string | Buffer | null | undefined): number =>
  value === null || value === undefined ? 0 : Buffer.byteLength(value);

/** The bytes a message adds to a record batch (upper bound). */
export function messageBytes(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += byteLength(name);
    for (const item of Array.isArray(value) ? value : [value]) bytes += byteLength(item);
  }
  return bytes;
}

/**
 * Cuts a topic's messages into consecutive sends of at most `limits.messages` messages and
 * `limits.bytes` bytes (a message bigger than that goes alone). Order is kept.
 */
export function splitIntoSends(messages: Message[], limits = SEND_LIMITS): Message[][] {
  const sends: Message[][] = [];
  let current: Message[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    const bytes = messageBytes(message);
    if (current.length > 0 && (current.length >= limits.messages || currentBytes + bytes > limits.bytes)) {
      sends.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(message);
    currentBytes += bytes;
  }
  if (current.length > 0) sends.push(current);
  return sends;
}

/**
 * The sends of a transaction: the first send of every topic together, then the second, and so on. One
 * `sendBatch` registers all its partitions with the coordinator in one request and writes them in one
 * produce request, where a send per topic costs two round trips each. Pure.
 */
export function sendRounds(messages: TopicMessages): KafkaTopicMessages[][] {
  const rounds: KafkaTopicMessages[][] = [];
  for (const [topic, all] of messages)
    splitIntoSends(all).forEach((batch, i) => (rounds[i] ??= []).push({ topic, messages: batch }));
  return rounds;
}

/**
 * Sends a transaction's messages ({@link sendRounds}): the file and URL feeds' steps and the HTTP
 * source's requests go to Kafka the same way.
 */
export async function sendInRounds(transaction: Transaction, messages: TopicMessages): Promise<void> {
  for (const topicMessages of sendRounds(messages)) await transaction.sendBatch({ topicMessages, acks: -1 });
}

/**
 * Publishes one feed exactly once. Each step's messages and the feed's checkpoint are committed in one
 * Kafka transaction: the checkpoint is stored as the offset-commit metadata of a consumer group named
 * after the feed (`sendOffsets`), so it becomes visible exactly when the messages do. The transactional
 * id is per feed: a restarted producer fences its zombie and aborts whatever it left open.
 */
export class FeedPublisher {
  private producer: Producer;
  readonly checkpointGroup: string;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly feed: string,
    private readonly checkpointTopic: string,
    private readonly stateTopic: string,
  ) {
    this.checkpointGroup = `sales-pipeline.producer.${feed}`;
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      transactionalId: `sales-pipeline.producer.${this.feed}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      createPartitioner: KeyPartitioner,
      // An idempotent producer must not give up on a send it may have half-done: retry through outages.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 10, maxRetryTime: 10_000 },
    });
  }

  /** Connects; this initializes the transactional id, which aborts a transaction a crash left open. */
  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /**
   * After the brokers went away: a new producer on the same transactional id, as a restarted process
   * would have. Initializing it aborts whatever transaction the old one left open.
   */
  async reconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    this.producer = this.newProducer();
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

  loadState(ref: StateRef): Promise<StateLine[]> {
    return loadState(this.kafka, this.stateTopic, this.feed, ref);
  }

  /**
   * The hold `sales-pipeline feed accept` accepted: the offset it committed for the group
   * {@link acceptGroup} on the feed-state topic (nobody consumes with that group: it is a mailbox).
   */
  async acceptedHold(): Promise<number | undefined> {
    const [topic] = await this.admin.fetchOffsets({
      groupId: acceptGroup(this.feed),
      topics: [this.stateTopic],
    });
    const offset = Number(topic?.partitions.find((p) => p.partition === 0)?.offset ?? '-1');
    return offset > 0 ? offset : undefined;
  }

  /**
   * Publishes `messages` and moves the checkpoint, all or nothing. With `state` (a snapshot feed's
   * published lines), its chunks go first, and the checkpoint records the offset of the first one.
   */
  async publish(
    messages: TopicMessages,
    checkpoint: FeedCheckpoint,
    state?: { topic: string; messages: Message[] },
  ): Promise<void> {
    const transaction = await this.producer.transaction();
    try {
      if (state) {
        let first: string | undefined;
        for (const batch of splitIntoSends(state.messages)) {
          const sent = await transaction.send({ topic: state.topic, messages: batch, acks: -1 });
          first ??= sent.find((r) => r.partition === 0)?.baseOffset;
        }
        const snapshot = checkpoint.snapshot;
        if (first === undefined || !snapshot?.state)
          throw new Error(`the broker gave no offset for the state of feed ${this.feed}`);
        checkpoint = {
          ...checkpoint,
          snapshot: { ...snapshot, state: { ...snapshot.state, offset: first } },
        };
      }
      await sendInRounds(transaction, messages);
      await retryWhileConcurrentTransactions(() =>
        transaction.sendOffsets({
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
        }),
      );
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
