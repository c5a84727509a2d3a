import type { Message } from 'kafkajs';
import { LINE_SEEN_AT_HEADER, type FeedHoldNotice, type FeedVersionNotice } from '@sales-pipeline/platform';
import { sha256 } from './content-hash.ts';
import { NO_SNAPSHOT, type FeedCheckpoint, type SnapshotProgress } from './feed-checkpoint.ts';
import type { FeedContext } from './feed-context.ts';
import { START_CURSOR } from './feed-cursor.ts';
import { cancellation, feedMessages, saleChangeMessage } from './feed-messages.ts';
import type { FeedOutput } from '../parse/feed-parser.ts';
import type { TopicMessages } from '../publish/kafka-publisher.ts';
import { planVersion, versionLines, type StateLine, type VersionCounts } from './plan-version.ts';
import { encodeState, stateMessages } from './snapshot-state-store.ts';

/** What became of a version. */
export type VersionOutcome = 'applied' | 'unchanged' | 'held' | 'refused';

/**
 * A snapshot feed: each version (a URL's answer, a snapshot file as it is now) is the whole data. A
 * version is compared with the published one ({@link planVersion}); its new sales, amendments,
 * cancellations and rejected lines go out in one transaction with the version's lines (the state the next
 * version is compared with) and the checkpoint that names them. Versions are numbered; every change of a
 * sale carries a `rev` that only grows, so the consumer never lets an older version overwrite a newer one.
 *
 * A version that would cancel more than `maxCancel` of the live sales (an empty or truncated export, the
 * wrong sheet) is held: reported once (dead-letter topic notice, so `status`, the dashboard and Slack show
 * it) and applied only once `sales-pipeline feed accept <feed>` accepts it, or replaced by a later version
 * within bounds.
 */
export class SnapshotFeed {
  private lines: StateLine[] | undefined;

  private constructor(
    private readonly feed: FeedContext,
    private progress: SnapshotProgress,
    private readonly generation: number,
    /** sha256 of the last version refused for its header, so that a restart does not report it again. */
    private reportedRefusal: string | undefined,
    /** Where the feed's checkpoint stands (a hold or a refusal keeps it there). */
    private last: Pick<FeedCheckpoint, 'cursor' | 'prefixSha256'>,
  ) {}

  /** The feed as its checkpoint left it; its published lines are read back when first needed. */
  static resume(
    feed: FeedContext,
    checkpoint: FeedCheckpoint | undefined,
    /** A generation of its own (a feed tailed until now whose published lines cannot be read back). */
    generation = checkpoint?.cursor.generation ?? 0,
  ): SnapshotFeed {
    return new SnapshotFeed(
      feed,
      checkpoint?.snapshot ?? { ...NO_SNAPSHOT, rev: checkpoint?.rev ?? 0 },
      generation,
      checkpoint?.reportedRewrite,
      checkpoint ?? { cursor: START_CURSOR, prefixSha256: sha256(Buffer.alloc(0)) },
    );
  }

  /**
   * A feed published by tailing (or by an older producer), from now on read as versions: `published` is
   * what was published of its generation (the bytes tailing read), which becomes version 1, with the ids
   * tailing gave its lines.
   */
  static fromPublished(feed: FeedContext, checkpoint: FeedCheckpoint, published: Buffer): SnapshotFeed {
    const generation = checkpoint.cursor.generation;
    const snapshot = new SnapshotFeed(
      feed,
      { ...NO_SNAPSHOT, version: 1, rev: checkpoint.rev ?? 0 },
      generation,
      checkpoint.reportedRewrite,
      checkpoint,
    );
    const parser = feed.position.versionParser(generation);
    const outputs = [...parser.push(published), ...parser.flush()];
    snapshot.lines = versionLines(outputs).map((l): StateLine => {
      if (l.output.type !== 'row') return { h: l.hash, id: null };
      return isCancelledRow(l.output)
        ? { h: l.hash, id: l.output.row.key, c: 1 }
        : { h: l.hash, id: l.output.row.key };
    });
    return snapshot;
  }

  /**
   * Makes the published lines (from {@link fromPublished}) the feed's committed version 1, in one
   * transaction: from then on a restart compares with them, whatever happens to the file.
   */
  async adoptPublished(published: Buffer): Promise<void> {
    const { feed } = this;
    const state = encodeState(feed.options.feed, this.lines ?? []);
    const next: SnapshotProgress = {
      ...this.progress,
      versionSha: sha256(published),
      state: { sha: state.sha, offset: '0', chunks: state.chunks.length },
    };
    await feed.publisher.publish(new Map(), this.checkpoint(published, next), {
      topic: feed.options.stateTopic,
      messages: stateMessages(feed.options.feed, state, this.progress.state),
    });
    this.progress = next;
  }

  get version(): number {
    return this.progress.version;
  }

  get isHeld(): boolean {
    return this.progress.held !== null;
  }

  /** How many rows the published version holds that a new one shares (a re-export, not new data). */
  sharedRows(body: Buffer): number {
    const published = new Set((this.lines ?? []).filter((l) => l.id !== null).map((l) => l.h));
    return this.parse(body).lines.filter((l) => l.output.type === 'row' && published.has(l.hash)).length;
  }

  /** Applies `body` as the feed's next version (or holds it, or refuses it). */
  async apply(body: Buffer, seenAt: number): Promise<VersionOutcome> {
    const { progress, feed } = this;
    const sha = sha256(body);
    if (sha === progress.versionSha) return 'unchanged';
    const { lines, outputs, headerProblem, ownIds } = this.parse(body);
    if (headerProblem) {
      if (progress.version === 0) {
        // A feed whose first version has a wrong header: every line dead-lettered, then it stops (exit 2).
        if (this.reportedRefusal !== sha) {
          this.reportedRefusal = sha;
          const messages = feedMessages(outputs, seenAt, feed.options.topics, this.generation);
          await feed.publisher.publish(messages, this.currentCheckpoint(progress));
          feed.tally.read(outputs);
          feed.tally.published(messages);
        }
        feed.failOnWrongHeader(headerProblem);
      }
      await this.reportRefused(body, sha, headerProblem);
      return 'refused';
    }
    const previous = await this.published();
    const version = progress.version + 1;
    const prefix = `${feed.options.feed}/${this.generation}`;
    const plan = planVersion(
      previous,
      lines,
      (line) => (version === 1 ? `${prefix}/${line}` : `${prefix}/v${version}/${line}`),
      ownIds,
    );
    const { counts } = plan;
    if (this.exceedsCancelBound(counts)) {
      const held = progress.held;
      const accepted = held?.sha === sha && (await feed.publisher.acceptedHold()) === held.seq;
      if (!accepted) {
        if (held?.sha !== sha) await this.hold(sha, counts);
        return 'held';
      }
      feed.logger.warn({ version, ...counts }, 'held version accepted: applying it');
    }

    let rev = progress.rev;
    const messages: TopicMessages = new Map();
    const add = (topic: string, message: Message) => {
      const list = messages.get(topic);
      if (list) list.push(message);
      else messages.set(topic, [message]);
    };
    const { topics } = feed.options;
    const dead: FeedOutput[] = [];
    for (const change of plan.changes) {
      if (change.type === 'dead') {
        dead.push({ ...change.output, letter: { ...change.output.letter } });
        continue;
      }
      rev++;
      if (change.type === 'cancel') {
        add(topics.sales, {
          key: change.id,
          value: JSON.stringify(cancellation(change.id, feed.options.feed, rev, version, change.line)),
          headers: { [LINE_SEEN_AT_HEADER]: String(seenAt) },
        });
        continue;
      }
      const row = change.row.row as Extract<typeof change.row.row, { kind: 'sales' }>;
      add(topics.sales, saleChangeMessage(row, rev, version, seenAt, change.row.line, change.id));
    }
    for (const [topic, list] of feedMessages(dead, seenAt, topics, this.generation)) {
      for (const message of list)
        add(topic, { ...message, key: `${prefix}/v${version}/${String(message.key).split('/').at(-1)}` });
    }
    const notice: FeedVersionNotice = {
      type: 'feed-version',
      feed: feed.options.feed,
      version,
      new_sales: counts.newSales,
      amendments: counts.amendments,
      cancellations: counts.cancellations,
      detected_at: new Date(seenAt).toISOString(),
    };
    add(topics.deadLetter, { key: `${feed.options.feed}/version/${version}`, value: JSON.stringify(notice) });

    const state = encodeState(feed.options.feed, plan.state);
    const next: SnapshotProgress = {
      version,
      versionSha: sha,
      state: { sha: state.sha, offset: '0', chunks: state.chunks.length },
      rev,
      holds: progress.holds,
      held: null,
    };
    await feed.publisher.publish(messages, this.checkpoint(body, next), {
      topic: feed.options.stateTopic,
      messages: stateMessages(feed.options.feed, state, progress.state),
    });
    this.progress = next;
    this.lines = plan.state;
    feed.tally.read(outputs);
    feed.tally.published(messages);
    feed.tally.versionApplied(counts);
    feed.logger.info({ version, ...counts }, 'feed version applied');
    return 'applied';
  }

  /** The checkpoint after a version: the snapshot's progress, and a cursor at the end of its bytes. */
  private checkpoint(body: Buffer, snapshot: SnapshotProgress): FeedCheckpoint {
    this.last = {
      cursor: { generation: this.generation, offset: body.length, line: 1, openLine: false },
      prefixSha256: sha256(body),
    };
    return { ...this.last, reportedRewrite: this.reportedRefusal, snapshot };
  }

  private exceedsCancelBound(counts: VersionCounts): boolean {
    return counts.liveBefore > 0 && counts.cancellations > this.feed.options.maxCancel * counts.liveBefore;
  }

  private async hold(sha: string, counts: VersionCounts): Promise<void> {
    const { feed, progress } = this;
    const seq = progress.holds + 1;
    const share = ((100 * counts.cancellations) / counts.liveBefore).toFixed(1);
    const reason =
      `this version would cancel ${counts.cancellations} of the feed's ${counts.liveBefore} sales (${share} %, ` +
      `more than SNAPSHOT_MAX_CANCEL ${(feed.options.maxCancel * 100).toFixed(1)} %): an empty or truncated export, ` +
      `or the wrong sheet? Nothing was applied. If the cancellations are real, run: sales-pipeline feed accept ${feed.options.feed}`;
    const notice: FeedHoldNotice = {
      type: 'feed-hold',
      feed: feed.options.feed,
      seq,
      version_sha: sha,
      reason,
      cancels: counts.cancellations,
      live_sales: counts.liveBefore,
      detected_at: new Date().toISOString(),
    };
    const next = { ...progress, holds: seq, held: { seq, sha } };
    const messages: TopicMessages = new Map([
      [
        feed.options.topics.deadLetter,
        [{ key: `${feed.options.feed}/hold/${seq}`, value: JSON.stringify(notice) }],
      ],
    ]);
    const current = this.currentCheckpoint(next);
    await feed.publisher.publish(messages, current);
    this.progress = next;
    feed.tally.versionHeld();
    feed.logger.error({ seq, ...counts }, `feed version held: ${reason}`);
  }

  /** A checkpoint that keeps the published version as it is, with `snapshot` progress. */
  private currentCheckpoint(snapshot: SnapshotProgress): FeedCheckpoint {
    return { ...this.last, reportedRewrite: this.reportedRefusal, snapshot };
  }

  /** A version whose header cannot be read: nothing applied, reported once per version. */
  private async reportRefused(body: Buffer, sha: string, problem: { reason: string; found: string }) {
    if (this.reportedRefusal === sha) return;
    const { feed } = this;
    this.reportedRefusal = sha;
    feed.tally.rewriteFound();
    const letter = {
      stage: 'producer' as const,
      feed: feed.options.feed,
      line: null,
      raw: body.subarray(0, Math.min(body.length, 4096)).toString('utf8'),
      raw_base64: null,
      reason: `a new version of the feed has an invalid header (${problem.reason}): nothing of it was applied; version sha256 ${sha}`,
      detected_at: new Date().toISOString(),
    };
    feed.logger.error({ header: problem.found }, letter.reason);
    await feed.publisher.publish(
      new Map([
        [
          feed.options.topics.deadLetter,
          [{ key: `${feed.options.feed}/refused/${sha.slice(0, 16)}`, value: JSON.stringify(letter) }],
        ],
      ]),
      this.currentCheckpoint(this.progress),
    );
    feed.tally.rewriteReported();
  }

  private async published(): Promise<StateLine[]> {
    if (this.lines) return this.lines;
    const ref = this.progress.state;
    this.lines = ref ? await this.feed.publisher.loadState(ref) : [];
    return this.lines;
  }

  private parse(body: Buffer) {
    const parser = this.feed.position.versionParser(this.generation);
    const outputs = [...parser.push(body), ...parser.flush()];
    return {
      outputs,
      lines: versionLines(outputs),
      headerProblem: parser.headerProblem,
      ownIds: parser.hasOwnIds,
    };
  }
}

const isCancelledRow = (output: Extract<FeedOutput, { type: 'row' }>) =>
  output.row.kind === 'sales' && output.row.cancelled === true;
