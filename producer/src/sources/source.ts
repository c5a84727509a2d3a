import type { FeedCheckpoint } from '../feed/feed-checkpoint.ts';
import type { FeedContext } from '../feed/feed-context.ts';

/**
 * Where sales come from. The producer has three sources, one module each, all behind {@link Source}:
 * - `file/` ({@link fileSource}): a CSV feed tailed like `tail -F`, or read as versions (`--snapshot`);
 * - `url/` ({@link urlSource}): a CSV feed polled at a URL, each changed answer a version;
 * - `http/` ({@link HttpSource}): sales pushed to `POST /v1/sales` by tills and shop systems.
 *
 * A source turns what it reads or receives into steps: sales, rejected rows (dead letters) and what it
 * must remember to resume (a feed's checkpoint, the HTTP ledger). Each step is committed in one Kafka
 * transaction, its messages sent by the same publisher (`publish/kafka-publisher`'s `sendInRounds`): it is
 * visible whole or not at all, and a restarted source resumes after its last committed step.
 */
export type SourceType = 'file' | 'url' | 'http';

export interface Source<Counts = void> {
  readonly type: SourceType;
  /** Where it reads or listens: a path, a URL, an address. */
  readonly location: string;
  /** Publishes until its input is read (a file or URL not followed) or its stop signal aborts. */
  run(): Promise<Counts>;
}

/**
 * What the file and URL sources have in common: a feed read from its checkpoint on. The feed runner
 * (`feed/feed-runner`) makes one a {@link Source}: it gives it the feed's context and, when the brokers
 * went away, reads it again from its last committed checkpoint.
 */
export interface FeedSource {
  readonly type: 'file' | 'url';
  readonly location: string;
  /** Publishes the feed from `checkpoint` on through `feed.committer`; returns at its end or on stop. */
  read(feed: FeedContext, checkpoint: FeedCheckpoint | undefined): Promise<void>;
}
