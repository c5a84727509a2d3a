import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from 'kafkajs';
import { LINE_SEEN_AT_HEADER, type DeadLetter, type Logger } from '@sales-pipeline/platform';
import type { FeedCheckpoint } from './feed-checkpoint.ts';
import { FeedParser, START_CURSOR, type FeedCursor, type FeedOutput } from './feed-parser.ts';
import { FeedHeaderError } from './feed-header-error.ts';
import type { FeedLocation } from './feed-identity.ts';
import { FileChangeSignal } from './file-change-signal.ts';
import { FileSource } from './file-source.ts';
import type { FeedKind } from './header.ts';
import type { IdPatterns } from './id-patterns.ts';
import type { TopicMessages } from './kafka-publisher.ts';
import type { ProducerMetrics } from './producer-metrics.ts';
import type { FeedCounts, Progress } from './progress.ts';
import { UrlSource } from './url-source.ts';

/** What the runner needs of a publisher (the Kafka one, or a fake in unit tests). */
export interface Publisher {
  loadCheckpoint(): Promise<FeedCheckpoint | undefined>;
  publish(messages: TopicMessages, checkpoint: FeedCheckpoint): Promise<void>;
}

export interface FeedRunnerOptions {
  kind: FeedKind;
  feed: string;
  location: FeedLocation;
  follow: boolean;
  topics: { sales: string; products: string; stores: string; deadLetter: string };
  maxLineBytes: number;
  readBytes: number;
  /** Safety-net poll of a followed file; changes wake the producer at once (inotify). */
  filePollMs: number;
  /**
   * After a change wakes it, how long the producer lets more lines arrive before it reads: lines
   * appended one at a time then go out in one transaction, not one each.
   */
  lingerMs: number;
  urlPollMs: number;
  lastLineIdleMs: number;
  rotationSettleMs: number;
  /** Formats of product and store ids; an id of another format is a rejected row. */
  ids: IdPatterns;
}

/** How many of the last bytes read are compared to tell a file rewritten in place. */
const TAIL_BYTES = 256;

const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

/**
 * Publishes one feed (sales, products or stores) from a file or a URL, exactly once: each step's
 * messages go out in one transaction with the checkpoint that covers them.
 */
export class FeedRunner {
  private parser!: FeedParser;
  /** Running sha256 of the bytes [0, cursor.offset) of the current generation. */
  private prefixHash = crypto.createHash('sha256');
  private hashedOffset = 0;
  /** Bytes read past `hashedOffset`, not yet covered by the cursor. */
  private unhashed: Buffer = Buffer.alloc(0);
  private reportedRewrite: string | undefined;
  /** The last bytes read before `readOffset`: a file rewritten in place at the same size shows here. */
  private recentTail: Buffer = Buffer.alloc(0);
  private lastPublished: FeedCursor | undefined;
  readonly counts: FeedCounts = { rows: 0, deadLetters: 0, headers: 0, rewrites: 0 };

  constructor(
    private readonly options: FeedRunnerOptions,
    private readonly publisher: Publisher,
    private readonly logger: Logger,
    private readonly metrics: ProducerMetrics,
    private readonly progress: Progress,
    private readonly stop: AbortSignal,
  ) {}

  async run(): Promise<FeedCounts> {
    const checkpoint = await this.publisher.loadCheckpoint();
    this.reportedRewrite = checkpoint?.reportedRewrite;
    if (this.options.location.type === 'file') await this.runFile(this.options.location.path, checkpoint);
    else await this.runUrl(this.options.location.url, checkpoint);
    this.progress.done(this.counts);
    return this.counts;
  }

  // ---------------------------------------------------------------- state

  private reset(cursor: FeedCursor, prefixHash: crypto.Hash = crypto.createHash('sha256')): void {
    this.parser = new FeedParser(this.options.kind, this.options.feed, cursor, {
      maxRecordBytes: this.options.maxLineBytes,
      ids: this.options.ids,
    });
    this.prefixHash = prefixHash;
    this.hashedOffset = cursor.offset;
    this.unhashed = Buffer.alloc(0);
    this.recentTail = Buffer.alloc(0);
  }

  /** Bytes fed to the parser so far: the cursor plus what it holds. */
  private get readOffset(): number {
    return this.hashedOffset + this.unhashed.length;
  }

  private rememberTail(chunk: Buffer): void {
    const joined = chunk.length >= TAIL_BYTES ? chunk : Buffer.concat([this.recentTail, chunk]);
    this.recentTail = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_BYTES)));
  }

  private advanceHash(chunk: Buffer): void {
    this.unhashed = this.unhashed.length ? Buffer.concat([this.unhashed, chunk]) : chunk;
    const consumed = this.parser.cursor.offset - this.hashedOffset;
    if (consumed > 0) {
      this.prefixHash.update(this.unhashed.subarray(0, consumed));
      this.unhashed = this.unhashed.subarray(consumed);
      this.hashedOffset += consumed;
    }
  }

  private checkpoint(): FeedCheckpoint {
    return {
      cursor: this.parser.cursor,
      prefixSha256: this.prefixHash.copy().digest('hex'),
      reportedRewrite: this.reportedRewrite,
    };
  }

  // ---------------------------------------------------------------- publishing

  private toMessages(outputs: FeedOutput[], seenAt: number): TopicMessages {
    const { topics, feed } = this.options;
    const messages: TopicMessages = new Map();
    const add = (topic: string, message: Message) => {
      const list = messages.get(topic);
      if (list) list.push(message);
      else messages.set(topic, [message]);
    };
    for (const output of outputs) {
      if (output.type === 'header') {
        this.counts.headers++;
        this.metrics.linesRead.inc({ feed, outcome: 'header' });
      } else if (output.type === 'dead') {
        this.counts.deadLetters++;
        this.metrics.linesRead.inc({ feed, outcome: 'dead_letter' });
        add(topics.deadLetter, this.deadLetterMessage(output.letter));
      } else {
        this.counts.rows++;
        this.metrics.linesRead.inc({ feed, outcome: output.row.kind });
        add(topics[output.row.kind], {
          key: output.row.key,
          value: JSON.stringify(output.row.value),
          headers: { [LINE_SEEN_AT_HEADER]: String(seenAt) },
        });
      }
    }
    return messages;
  }

  private deadLetterMessage(letter: DeadLetter): Message {
    const generation = this.parser.cursor.generation;
    return { key: `${letter.feed}/${generation}/${letter.line ?? 0}`, value: JSON.stringify(letter) };
  }

  /** Commits the outputs and the checkpoint after them in one transaction (nothing when nothing moved). */
  private async publish(outputs: FeedOutput[], seenAt: number): Promise<void> {
    this.advanceHash(Buffer.alloc(0)); // a flush or a skipped line ending moves the cursor without new bytes
    const checkpoint = this.checkpoint();
    const moved =
      !this.lastPublished ||
      this.lastPublished.offset !== checkpoint.cursor.offset ||
      this.lastPublished.generation !== checkpoint.cursor.generation ||
      this.lastPublished.openLine !== checkpoint.cursor.openLine;
    if (outputs.length === 0 && !moved) return;
    const messages = this.toMessages(outputs, seenAt);
    await this.publisher.publish(messages, checkpoint);
    this.lastPublished = checkpoint.cursor;
    this.metrics.transactions.inc({ feed: this.options.feed });
    for (const [topic, list] of messages) {
      this.metrics.messagesPublished.inc({ feed: this.options.feed, topic }, list.length);
      if (topic === this.options.topics.deadLetter)
        this.metrics.deadLettered.inc({ feed: this.options.feed }, list.length);
    }
  }

  // ---------------------------------------------------------------- files

  private async runFile(path: string, checkpoint: FeedCheckpoint | undefined): Promise<void> {
    const source = new FileSource(path);
    const changes = this.options.follow ? new FileChangeSignal(path, this.logger) : undefined;
    try {
      while (!(await source.open())) {
        if (!changes) throw new Error(`feed file ${path} does not exist`);
        await changes.next(this.options.filePollMs, this.stop);
        if (this.stop.aborted) return;
      }
      await this.followFile(source, checkpoint, changes);
    } finally {
      changes?.close();
    }
  }

  private async followFile(
    source: FileSource,
    checkpoint: FeedCheckpoint | undefined,
    changes: FileChangeSignal | undefined,
  ): Promise<void> {
    try {
      await this.resumeFile(source, checkpoint);
      let lastChange = Date.now();
      while (!this.stop.aborted) {
        const chunk = await source.read(this.readOffset, this.options.readBytes);
        if (chunk.length > 0) {
          const seenAt = Date.now();
          const outputs = this.parser.push(chunk);
          this.advanceHash(chunk);
          this.rememberTail(chunk);
          await this.publish(outputs, seenAt);
          lastChange = seenAt;
          await this.reportFile(source);
          // A short read means we were caught up: lines are arriving live. Let the next ones gather for
          // the linger time rather than publish a transaction for each few (a backlog is read at once).
          if (changes && chunk.length < this.options.readBytes && this.options.lingerMs > 0) {
            if (await this.idle(this.options.lingerMs)) return;
          }
          continue;
        }
        if (await this.handleReplacedFile(source)) {
          lastChange = Date.now();
          continue;
        }
        if (!this.options.follow) {
          // Without --follow the file is a finished snapshot: its last line is complete as it stands.
          await this.publish(this.parser.flush(), Date.now());
          await this.reportFile(source);
          this.failOnWrongHeader();
          return;
        }
        // Caught up with a feed whose header is wrong: what it holds is dead-lettered, and nothing it
        // will ever hold can become a row. Following it on would be waiting silently for ever.
        this.failOnWrongHeader();
        if (
          this.parser.heldBytes > 0 &&
          Date.now() - lastChange >= this.options.lastLineIdleMs &&
          this.parser.trailingIsCompleteRow()
        ) {
          await this.publish(this.parser.flush(), lastChange);
        }
        await this.reportFile(source);
        if (await this.waitForChange(changes, lastChange)) return;
      }
    } finally {
      await source.close();
    }
  }

  /**
   * Waits for the followed file to change (or the safety-net poll, or the moment a held last line
   * becomes due), then lingers a little so that lines written one by one are read together. Returns
   * true when the runner is stopped.
   */
  private async waitForChange(changes: FileChangeSignal | undefined, lastChange: number): Promise<boolean> {
    if (!changes) return this.idle(this.options.filePollMs);
    const lastLineDue =
      this.parser.heldBytes > 0
        ? Math.max(1, lastChange + this.options.lastLineIdleMs - Date.now())
        : Number.POSITIVE_INFINITY;
    await changes.next(Math.min(this.options.filePollMs, lastLineDue), this.stop);
    if (this.options.lingerMs > 0) return this.idle(this.options.lingerMs);
    return this.stop.aborted;
  }

  private async reportFile(source: FileSource): Promise<void> {
    const size = await source.size();
    this.metrics.bytesBehind.set({ feed: this.options.feed }, Math.max(0, size - this.parser.cursor.offset));
    this.progress.update(this.counts, this.parser.cursor.offset, size);
  }

  /** Checks that the file still holds what was published; starts a new generation when it does not. */
  private async resumeFile(source: FileSource, checkpoint: FeedCheckpoint | undefined): Promise<void> {
    if (!checkpoint) {
      this.reset(START_CURSOR);
      return;
    }
    const { cursor } = checkpoint;
    const prefix = await source.read(0, cursor.offset);
    if (prefix.length === cursor.offset && sha256(prefix) === checkpoint.prefixSha256) {
      this.reset(cursor, crypto.createHash('sha256').update(prefix));
      this.rememberTail(prefix);
      if (cursor.offset > 0) this.parser.useHeaderFrom(await source.read(0, this.options.maxLineBytes + 2));
      this.logger.info({ ...cursor }, 'resuming feed from its checkpoint');
      return;
    }
    this.logger.warn(
      { generation: cursor.generation, offset: cursor.offset },
      'the feed file no longer starts with what was published (replaced while the producer was stopped): reading it as a new generation',
    );
    this.reset({ ...START_CURSOR, generation: cursor.generation + 1 });
  }

  /**
   * At the end of the open file: when the path now names another file (rename rotation) or the file
   * shrank (truncation), finish the old one, then either continue in the new file (it starts with
   * everything published: the same feed rewritten) or start a new generation from its first byte.
   */
  private async handleReplacedFile(source: FileSource): Promise<boolean> {
    const current = await source.statPath();
    const open = source.identity;
    if (!current || !open) return false;
    const rotated = current.ino !== open.ino || current.dev !== open.dev;
    const truncated = !rotated && current.size < this.readOffset;
    const rewritten = !rotated && !truncated && !(await this.tailUnchanged(source));
    if (!rotated && !truncated && !rewritten) return false;

    await this.publish(this.parser.flush(), Date.now());
    await sleep(this.options.rotationSettleMs);
    await source.open();
    const cursor = this.parser.cursor;
    const prefix = await source.read(0, cursor.offset);
    const sameFeed =
      prefix.length === cursor.offset && sha256(prefix) === this.prefixHash.copy().digest('hex');
    if (sameFeed) {
      this.logger.info(
        { feed: this.options.feed, offset: cursor.offset },
        'feed file replaced by a copy that extends it: continuing',
      );
      return true;
    }
    this.logger.info(
      {
        feed: this.options.feed,
        generation: cursor.generation + 1,
        reason: rotated ? 'rotation' : 'truncation',
      },
      'feed file replaced: reading the new file as a new generation',
    );
    this.reset({ ...START_CURSOR, generation: cursor.generation + 1 });
    await this.publish([], Date.now());
    return true;
  }

  /** Whether the open file still holds, just before `readOffset`, the bytes we read there. */
  private async tailUnchanged(source: FileSource): Promise<boolean> {
    const length = this.recentTail.length;
    if (length === 0) return true;
    const onDisk = await source.read(this.readOffset - length, length);
    return onDisk.equals(this.recentTail);
  }

  // ---------------------------------------------------------------- URLs

  private async runUrl(url: string, checkpoint: FeedCheckpoint | undefined): Promise<void> {
    const source = new UrlSource(url);
    let cursor = checkpoint?.cursor ?? START_CURSOR;
    let prefixSha = checkpoint?.prefixSha256 ?? sha256(Buffer.alloc(0));
    this.reset(cursor);
    while (!this.stop.aborted) {
      let poll;
      try {
        poll = await source.poll();
      } catch (error) {
        if (!this.options.follow) throw error;
        this.logger.warn(
          { feed: this.options.feed, err: error },
          'polling the feed URL failed; trying again',
        );
        if (await this.idle(this.options.urlPollMs)) return;
        continue;
      }
      if (poll.changed) {
        const { body } = poll;
        const prefix = body.subarray(0, cursor.offset);
        if (prefix.length < cursor.offset || sha256(prefix) !== prefixSha) {
          await this.reportRewrite(body, { cursor, prefixSha256: prefixSha });
        } else {
          // A snapshot is complete: its last line counts even without a line ending.
          this.reset(cursor, crypto.createHash('sha256').update(prefix));
          if (cursor.offset > 0) this.parser.useHeaderFrom(body);
          const rest = body.subarray(cursor.offset);
          const seenAt = Date.now();
          const outputs = [...this.parser.push(rest), ...this.parser.flush()];
          this.advanceHash(rest);
          await this.publish(outputs, seenAt);
          cursor = this.parser.cursor;
          prefixSha = this.prefixHash.copy().digest('hex');
        }
        this.metrics.bytesBehind.set({ feed: this.options.feed }, Math.max(0, body.length - cursor.offset));
        this.progress.update(this.counts, cursor.offset, body.length);
        this.failOnWrongHeader();
      }
      if (!this.options.follow) return;
      if (await this.idle(this.options.urlPollMs)) return;
    }
  }

  /** A source that changed rows it had already served: reported once per version, nothing re-sent. */
  private async reportRewrite(
    body: Buffer,
    published: { cursor: FeedCursor; prefixSha256: string },
  ): Promise<void> {
    const { cursor } = published;
    const version = sha256(body);
    if (version === this.reportedRewrite) return;
    this.reportedRewrite = version;
    this.metrics.sourceRewrites.inc({ feed: this.options.feed });
    this.logger.error(
      { publishedBytes: cursor.offset, bodyBytes: body.length },
      'the source rewrote rows it had already served: nothing re-sent, nothing dropped; new rows wait until the source extends what was published (or use a new feed id)',
    );
    const letter: DeadLetter = {
      stage: 'producer',
      feed: this.options.feed,
      line: null,
      raw: body.subarray(0, Math.min(body.length, 4096)).toString('utf8'),
      raw_base64: null,
      reason: `source rewrote rows already published (the first ${cursor.offset} bytes changed); version sha256 ${version}`,
      detected_at: new Date().toISOString(),
    };
    const messages: TopicMessages = new Map([
      [
        this.options.topics.deadLetter,
        [{ key: `${this.options.feed}/rewrite/${version.slice(0, 16)}`, value: JSON.stringify(letter) }],
      ],
    ]);
    await this.publisher.publish(messages, { ...published, reportedRewrite: version });
    this.counts.rewrites++;
    this.metrics.deadLettered.inc({ feed: this.options.feed });
  }

  /** Throws a {@link FeedHeaderError} when the feed's header was refused. */
  private failOnWrongHeader(): void {
    const problem = this.parser.headerProblem;
    if (!problem) return;
    const { kind, feed, location } = this.options;
    const error = new FeedHeaderError(
      { id: feed, kind, location: location.type === 'file' ? location.path : location.url },
      problem,
      this.counts.deadLetters,
    );
    this.progress.done(this.counts);
    this.logger.error({ feed, header: problem.found }, error.message);
    throw error;
  }

  /** Sleeps, waking early on stop; true when stopping. */
  private async idle(ms: number): Promise<boolean> {
    if (this.stop.aborted) return true;
    await sleep(ms, undefined, { signal: this.stop }).catch(() => undefined);
    return this.stop.aborted;
  }
}
