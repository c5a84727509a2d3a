import { Gauge, type Registry } from 'prom-client';
import { PeriodicTask, withClient, type Logger, type Pool, type PoolClient } from '@sales-pipeline/platform';
import { formatDuration } from './duration.ts';
import { mergeGrowth, recordFeedGrowth, type FeedGrowth } from './feed-growth.ts';

/** How often the feeds' growth is written. */
const FLUSH_EVERY_MS = 2_000;
import { feedState, type StalePolicy } from './stale-policy.ts';

interface FeedRow {
  feed: string;
  last_growth_at: Date;
  stale_since: Date | null;
}

/**
 * Watches when each feed (and HTTP source) last grew: one that has been silent for longer than its
 * FEED_STALE_AFTER (within its active hours) is marked stale, and one Slack message goes to the outbox;
 * when it grows again the mark is cleared and one recovery message goes. Each change of state is a
 * conditional update: two consumers watching at once post it once.
 */
export class StaleFeedWatch {
  private readonly staleFeeds: Gauge;
  private readonly task: PeriodicTask;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private stale: string[] = [];
  /** Growth of the batches applied since the last flush. */
  private pending = new Map<string, FeedGrowth>();

  constructor(
    private readonly pool: Pool,
    private readonly policyOf: (feed: string) => StalePolicy,
    everyMs: number,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.staleFeeds = new Gauge({
      name: 'consumer_stale_feeds',
      help: 'Feeds that have not grown for longer than FEED_STALE_AFTER (within their active hours)',
      registers: [registry],
    });
    this.task = new PeriodicTask(
      () => this.refresh(),
      everyMs,
      (error) => logger.warn({ err: error }, 'the stale feed check failed; trying again'),
    );
  }

  start(): void {
    this.task.start();
    this.flushTimer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.flushTimer.unref();
  }

  /**
   * Notes what a committed batch added to each feed. Written every {@link FLUSH_EVERY_MS} in one statement
   * rather than in every batch's transaction: a live sale pays nothing for it; a crash loses at most that
   * much of a feed's latest growth time, which the next line restores.
   */
  grew(growth: Map<string, FeedGrowth>): void {
    mergeGrowth(this.pending, growth);
  }

  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.task.stop();
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.size === 0) return this.flushing;
    const growth = this.pending;
    this.pending = new Map();
    this.flushing = withClient(this.pool, (client) => recordFeedGrowth(client, growth))
      .catch((error: unknown) => {
        // Kept for the next flush (the database away): growth is a maximum and a sum, merged again.
        mergeGrowth(this.pending, growth);
        this.logger.warn({ err: error }, 'could not record when the feeds grew; trying again');
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** Warnings for /healthz. */
  warnings(): string[] {
    return this.stale.map(
      (feed) => `feed ${feed} has not grown for over ${formatDuration(this.policyOf(feed).afterMs)}`,
    );
  }

  private async refresh(): Promise<void> {
    try {
      // What the batches added first: a feed that just grew is never seen stale for want of a flush.
      await this.flush();
      this.stale = await withClient(this.pool, (client) => this.check(client));
      this.staleFeeds.set(this.stale.length);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read when the feeds last grew; trying again');
    }
  }

  private async check(client: PoolClient): Promise<string[]> {
    const { rows } = await client.query<FeedRow>(
      'SELECT feed, last_growth_at, stale_since FROM feed_activity',
    );
    const now = Date.now();
    const stale: string[] = [];
    for (const row of rows) {
      const policy = this.policyOf(row.feed);
      const state = feedState(row.last_growth_at.getTime(), now, policy);
      // Grown since it was marked (even if silent again since): recovered; marked again later if need be.
      const grew = row.stale_since !== null && row.last_growth_at > row.stale_since;
      let marked = row.stale_since !== null;
      if (marked && (grew || state === 'fresh')) {
        await this.mark(client, row, policy, 'recovered');
        marked = false;
      } else if (!marked && state === 'stale') {
        await this.mark(client, row, policy, 'stale');
        marked = true;
      }
      if (marked) stale.push(row.feed);
    }
    return stale;
  }

  /** Marks the feed stale (or clears it) if nobody did meanwhile, with its Slack message, in one transaction. */
  private async mark(
    client: PoolClient,
    row: FeedRow,
    policy: StalePolicy,
    to: 'stale' | 'recovered',
  ): Promise<void> {
    await client.query('BEGIN');
    try {
      const changed = await client.query<{ stale_episodes: number; last_growth_at: Date }>(
        to === 'stale'
          ? `UPDATE feed_activity SET stale_since = now(), stale_episodes = stale_episodes + 1
              WHERE feed = $1 AND stale_since IS NULL RETURNING stale_episodes, last_growth_at`
          : `UPDATE feed_activity SET stale_since = NULL
              WHERE feed = $1 AND stale_since IS NOT NULL RETURNING stale_episodes, last_growth_at`,
        [row.feed],
      );
      const episode = changed.rows[0];
      if (episode) {
        await client.query(
          `INSERT INTO milestones (rule, subject, step, payload) VALUES ($1, $2, $3, $4)
           ON CONFLICT (rule, subject, step) DO NOTHING`,
          [
            to === 'stale' ? 'feed_stale' : 'feed_recovered',
            row.feed,
            episode.stale_episodes,
            JSON.stringify({
              last_growth_at: episode.last_growth_at.toISOString(),
              stale_after: formatDuration(policy.afterMs),
            }),
          ],
        );
        if (to === 'stale')
          this.logger.warn(
            { feed: row.feed, lastGrowthAt: episode.last_growth_at },
            `feed ${row.feed} has not grown for over ${formatDuration(policy.afterMs)}`,
          );
        else this.logger.info({ feed: row.feed }, `feed ${row.feed} grows again`);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
