import { describeError, PipelineError, retry, RETRY_POLICIES, type Logger } from '@sales-pipeline/platform';
import { isBrokerOutage, isFenced } from '../publish/broker-outage.ts';
import { idle } from '../publish/idle.ts';
import type { Publisher } from './feed-committer.ts';
import { FeedContext, type FeedRunnerOptions } from './feed-context.ts';
import type { ProducerMetrics } from '../producer-metrics.ts';
import { emptyCounts, type FeedCounts, type Progress } from './progress.ts';
import type { FeedSource, Source } from '../sources/source.ts';

export type { Publisher } from './feed-committer.ts';
export type { FeedRunnerOptions } from './feed-context.ts';

/** Fenced again right after each new connection, this many times: another producer of the feed runs. */
const MAX_FENCED_IN_A_ROW = 5;

/**
 * Publishes one feed (sales, products or stores) from a file or a URL source, exactly once: each step's
 * messages go out in one transaction with the checkpoint that covers them. The source reads
 * (`sources/file`, `sources/url`) over a {@link FeedContext}: where the feed was read to (FeedPosition),
 * how a step is committed (FeedCommitter) and what was counted (FeedTally).
 */
export class FeedRunner implements Source<FeedCounts> {
  constructor(
    private readonly source: FeedSource,
    private readonly options: FeedRunnerOptions,
    private readonly publisher: Publisher,
    private readonly logger: Logger,
    private readonly metrics: ProducerMetrics,
    private readonly progress: Progress,
    private readonly stop: AbortSignal,
  ) {}

  get type() {
    return this.source.type;
  }

  get location() {
    return this.source.location;
  }

  /**
   * Publishes the feed. When the brokers go away (a restart, a rolling upgrade), the feed starts again from
   * its committed checkpoint on a new connection, as a restarted process would, instead of exiting: the
   * step in flight was committed (the checkpoint says so) or aborted (it is read again). Waits between
   * tries grow to 10 s; each is logged with its cause.
   */
  async run(): Promise<FeedCounts> {
    let counts: FeedCounts | undefined;
    let outages = 0;
    for (;;) {
      const feed = { context: undefined as FeedContext | undefined };
      const started = Date.now();
      try {
        return addCounts(counts, await this.publishFrom(feed));
      } catch (error) {
        counts = addCounts(counts, feed.context?.tally.counts);
        if (!isBrokerOutage(error) || this.stop.aborted) throw error;
        // A run that went on for a minute was not part of the same outage.
        outages = Date.now() - started > 60_000 ? 1 : outages + 1;
        if (isFenced(error) && outages > MAX_FENCED_IN_A_ROW)
          throw new PipelineError(
            `feed ${this.options.feed}: fenced ${outages} times in a row: another producer of this feed is running`,
            {
              code: 'PRODUCER_FENCED',
              hint: 'Stop the other producer of this feed (same feed id): one feed, one producer.',
              cause: error,
            },
          );
        const waitMs = Math.min(10_000, 250 * 2 ** Math.min(outages - 1, 6));
        this.logger.warn(
          { outages, waitMs, cause: describeError(error) },
          'Kafka went away: the feed starts again from its committed checkpoint once it answers',
        );
        if ((await idle(waitMs, this.stop)) || !(await this.reconnect())) return counts ?? emptyCounts();
      }
    }
  }

  /** One run of the feed from its committed checkpoint; `feed.context` is set as soon as it exists. */
  private async publishFrom(feed: { context: FeedContext | undefined }): Promise<FeedCounts> {
    const checkpoint = await this.publisher.loadCheckpoint();
    const { options, publisher, logger, metrics, progress, stop } = this;
    const context = new FeedContext(options, publisher, checkpoint, logger, metrics, progress, stop);
    feed.context = context;
    await this.source.read(context, checkpoint);
    context.tally.done();
    return context.tally.counts;
  }

  /** A new connection, tried until the brokers answer (false when the producer is stopped meanwhile). */
  private async reconnect(): Promise<boolean> {
    try {
      await retry(() => this.publisher.reconnect(), {
        policy: RETRY_POLICIES.kafkaOutage,
        isRetriable: (error) => isBrokerOutage(error) && !this.stop.aborted,
        signal: this.stop,
      });
      return true;
    } catch (error) {
      if (this.stop.aborted) return false;
      throw error;
    }
  }
}

/** The sum of two runs' counts (either may be missing; at least one is there). */
function addCounts(a: FeedCounts | undefined, b: FeedCounts): FeedCounts;
function addCounts(a: FeedCounts | undefined, b: FeedCounts | undefined): FeedCounts | undefined;
function addCounts(a: FeedCounts | undefined, b: FeedCounts | undefined): FeedCounts | undefined {
  if (!a || !b) return a ?? b;
  const sum = { ...a };
  for (const key of Object.keys(sum) as Array<keyof FeedCounts>) sum[key] = a[key] + b[key];
  return sum;
}
