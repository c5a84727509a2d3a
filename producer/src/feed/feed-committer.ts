import type { Message } from 'kafkajs';
import type { Logger } from '@sales-pipeline/platform';
import { sha256 } from './content-hash.ts';
import type { FeedCheckpoint, StateRef } from './feed-checkpoint.ts';
import { lineHash, type StateLine } from './plan-version.ts';
import { feedMessages, rewriteMessage, type FeedTopics } from './feed-messages.ts';
import type { FeedCursor } from './feed-cursor.ts';
import type { FeedOutput } from '../parse/feed-parser.ts';
import type { FeedPosition } from './feed-position.ts';
import type { FeedTally } from './feed-tally.ts';
import type { TopicMessages } from '../publish/kafka-publisher.ts';

/** What the runner needs of a publisher (the Kafka one, or a fake in unit tests). */
export interface Publisher {
  loadCheckpoint(): Promise<FeedCheckpoint | undefined>;
  /** A snapshot feed's published lines, as its checkpoint names them. */
  loadState(ref: StateRef): Promise<StateLine[]>;
  /** The hold number `feed accept` accepted for this feed, if any. */
  acceptedHold(): Promise<number | undefined>;
  /** A new connection after the brokers went away (whatever transaction was open is aborted). */
  reconnect(): Promise<void>;
  publish(
    messages: TopicMessages,
    checkpoint: FeedCheckpoint,
    state?: { topic: string; messages: Message[] },
  ): Promise<void>;
}

/**
 * Commits a feed's steps: each step's messages go out in one transaction with the checkpoint that
 * covers them, so that the topics and the checkpoint always agree.
 */
export class FeedCommitter {
  private lastPublished: FeedCursor | undefined;

  constructor(
    private readonly feed: string,
    private readonly topics: FeedTopics,
    private readonly publisher: Publisher,
    private readonly position: FeedPosition,
    private readonly tally: FeedTally,
    private readonly logger: Logger,
    /** sha256 of the last rewritten snapshot already reported, so a restart does not report it again. */
    private reportedRewrite: string | undefined,
    /** The last `rev` given to a sale with its own id (id-column feeds read by tailing). */
    private rev = 0,
    /** Hashes of the first and last sale lines published of the generation (sales feeds). */
    private fingerprint: { generation: number; first?: string; last?: string } = { generation: 0 },
    /** Sales without an id of their own go out in chunks of this many (a backfill); 0: one message each. */
    private readonly chunkSales = 0,
  ) {}

  /** The first and last sale lines published of the current generation, as hashes. */
  get fingerprintHashes(): string[] {
    return [this.fingerprint.first, this.fingerprint.last].filter((h): h is string => h !== undefined);
  }

  private fingerprintRows(outputs: FeedOutput[], generation: number): void {
    if (this.fingerprint.generation !== generation) this.fingerprint = { generation };
    for (const output of outputs) {
      if (output.type !== 'row' || output.row.kind !== 'sales') continue;
      const hash = lineHash(output);
      this.fingerprint.first ??= hash;
      this.fingerprint.last = hash;
    }
  }

  /** The last `rev` given to a sale of an id-column feed. */
  get lastRev(): number {
    return this.rev;
  }

  /** Commits the outputs and the checkpoint after them in one transaction (nothing when nothing moved). */
  async commit(outputs: FeedOutput[], seenAt: number): Promise<void> {
    const prefixSha256 = this.position.prefixSha256();
    const rev = this.rev;
    const byOwnId = this.position.parser.hasOwnIds;
    const messages = feedMessages(
      outputs,
      seenAt,
      this.topics,
      this.position.cursor.generation,
      byOwnId ? () => ++this.rev : undefined,
      this.chunkSales,
    );
    const before = this.fingerprint;
    this.fingerprintRows(outputs, this.position.cursor.generation);
    const checkpoint: FeedCheckpoint = {
      cursor: this.position.cursor,
      prefixSha256,
      reportedRewrite: this.reportedRewrite,
      rev: this.rev || undefined,
      fingerprint: this.fingerprintHashes,
    };
    const last = this.lastPublished;
    const moved =
      !last ||
      last.offset !== checkpoint.cursor.offset ||
      last.generation !== checkpoint.cursor.generation ||
      last.openLine !== checkpoint.cursor.openLine;
    if (outputs.length === 0 && !moved) return;
    try {
      await this.publisher.publish(messages, checkpoint);
    } catch (error) {
      this.rev = rev;
      this.fingerprint = before;
      throw error;
    }
    this.lastPublished = checkpoint.cursor;
    // Counted once committed: a step lost with the brokers is read (and counted) again.
    this.tally.read(outputs);
    this.tally.published(messages);
  }

  /** A source that changed rows it had already served: reported once per version, nothing re-sent. */
  async reportRewrite(body: Buffer, published: { cursor: FeedCursor; prefixSha256: string }): Promise<void> {
    const { cursor } = published;
    const version = sha256(body);
    if (version === this.reportedRewrite) return;
    this.reportedRewrite = version;
    this.tally.rewriteFound();
    this.logger.error(
      { publishedBytes: cursor.offset, bodyBytes: body.length },
      'the source rewrote rows it had already served: nothing re-sent, nothing dropped; new rows wait until the source extends what was published (or use a new feed id)',
    );
    const letter = rewriteMessage(this.feed, body, cursor.offset, version, new Date());
    await this.publisher.publish(new Map([[this.topics.deadLetter, [letter]]]), {
      ...published,
      reportedRewrite: version,
    });
    this.tally.rewriteReported();
  }
}
