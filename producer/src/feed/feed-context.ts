import type { Logger } from '@sales-pipeline/platform';
import { FeedCommitter, type Publisher } from './feed-committer.ts';
import { FeedHeaderError } from '../parse/feed-header-error.ts';
import type { FeedLocation } from './feed-identity.ts';
import type { FeedTopics } from './feed-messages.ts';
import { FeedPosition } from './feed-position.ts';
import { FeedTally } from './feed-tally.ts';
import type { FeedKind } from '../parse/header.ts';
import type { IdPatterns } from '../parse/id-patterns.ts';
import type { SaleRules } from '../parse/sale-rules.ts';
import { idle } from '../publish/idle.ts';
import type { ProducerMetrics } from '../producer-metrics.ts';
import type { Progress } from './progress.ts';

export interface FeedRunnerOptions {
  kind: FeedKind;
  feed: string;
  location: FeedLocation;
  follow: boolean;
  topics: FeedTopics;
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
  /** The quantity bound and the optional sale-id and status columns. */
  rules: SaleRules;
  /**
   * Read a file as a snapshot (`--snapshot`): each change of it is a new version of the whole data,
   * compared with the published one. URLs are always snapshots.
   */
  snapshot: boolean;
  /** The compacted topic that keeps the published lines of snapshot feeds. */
  stateTopic: string;
  /** SNAPSHOT_MAX_CANCEL: a version that would cancel more than this share of the live sales is held. */
  maxCancel: number;
  /**
   * A tailed sales feed's sales without an id of their own go out in chunks of this many (a backfill's
   * history: fewer messages, one change event a chunk); 0 or unset: one message a sale.
   */
  chunkSales?: number | undefined;
}

/**
 * One feed being published, as the file follower and the URL poller share it: where it has been read
 * to, how its steps are committed, what it has counted, its logger and its stop signal.
 */
export class FeedContext {
  readonly position: FeedPosition;
  readonly tally: FeedTally;
  readonly committer: FeedCommitter;

  constructor(
    readonly options: FeedRunnerOptions,
    readonly publisher: Publisher,
    checkpoint:
      | {
          reportedRewrite?: string | undefined;
          rev?: number | undefined;
          fingerprint?: string[] | undefined;
          cursor: { generation: number };
        }
      | undefined,
    readonly logger: Logger,
    metrics: ProducerMetrics,
    progress: Progress,
    readonly stop: AbortSignal,
  ) {
    const { kind, feed, topics, maxLineBytes, ids, rules } = options;
    this.position = new FeedPosition(kind, feed, { maxRecordBytes: maxLineBytes, ids, rules });
    this.tally = new FeedTally(feed, topics.deadLetter, metrics, progress);
    this.committer = new FeedCommitter(
      feed,
      topics,
      publisher,
      this.position,
      this.tally,
      logger,
      checkpoint?.reportedRewrite,
      checkpoint?.rev,
      {
        generation: checkpoint?.cursor.generation ?? 0,
        first: checkpoint?.fingerprint?.[0],
        last: checkpoint?.fingerprint?.[1] ?? checkpoint?.fingerprint?.[0],
      },
      options.chunkSales,
    );
  }

  /** Sleeps, waking early on stop; true when stopping. */
  idle(ms: number): Promise<boolean> {
    return idle(ms, this.stop);
  }

  /** Throws a {@link FeedHeaderError} when the feed's header was refused (or `problem` is given). */
  failOnWrongHeader(problem = this.position.parser.headerProblem): void {
    if (!problem) return;
    const { kind, feed, location } = this.options;
    const error = new FeedHeaderError(
      { id: feed, kind, location: location.type === 'file' ? location.path : location.url },
      problem,
      this.tally.counts.deadLetters,
    );
    this.tally.done();
    this.logger.error({ feed, header: problem.found }, error.message);
    throw error;
  }
}
