import type { Logger } from '@sales-pipeline/platform';
import type { Publisher } from './feed-committer.ts';
import { FeedContext, type FeedRunnerOptions } from './feed-context.ts';
import { followFile } from './sources/file/file-follower.ts';
import type { ProducerMetrics } from './producer-metrics.ts';
import type { FeedCounts, Progress } from './progress.ts';
import { pollUrl } from './sources/url/url-poller.ts';

export type { Publisher } from './feed-committer.ts';
export type { FeedRunnerOptions } from './feed-context.ts';

/**
 * Publishes one feed (sales, products or stores) from a file or a URL, exactly once: each step's
 * messages go out in one transaction with the checkpoint that covers them. The work is done by
 * {@link followFile} (files) and {@link pollUrl} (URLs) over a {@link FeedContext}: where the feed was
 * read to (FeedPosition), how a step is committed (FeedCommitter) and what was counted (FeedTally).
 */
export class FeedRunner {
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
    const { options, publisher, logger, metrics, progress, stop } = this;
    const feed = new FeedContext(options, publisher, checkpoint, logger, metrics, progress, stop);
    const { location } = options;
    if (location.type === 'file') await followFile(feed, location.path, checkpoint);
    else await pollUrl(feed, location.url, checkpoint);
    feed.tally.done();
    return feed.tally.counts;
  }
}
