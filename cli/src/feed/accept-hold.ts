import { acceptGroup } from '@sales-pipeline/producer';
import { ConfigError, createKafka, createLogger, createPool, PipelineError } from '@sales-pipeline/platform';
import { envWithStackDefaults, loadCliConfig } from '../config.ts';

/** The held version of a feed, as the consumer recorded the producer's notice. */
interface Hold {
  seq: string;
  reason: string;
  cancels: string;
  live_sales: string;
  held_at: Date;
  accepted_at: Date | null;
}

/** No version of the feed is held: nothing to accept. */
export class NoHoldError extends PipelineError {
  constructor(feed: string) {
    super(`feed ${feed} has no held version`, {
      code: 'NO_HELD_VERSION',
      hint: '`sales-pipeline status` lists the held feeds; a feed id is the one in its sale ids (e.g. ventes)',
    });
  }
}

/**
 * `feed accept <feed>`: lets the producer apply the version of `feed` it held back (it would cancel more
 * than SNAPSHOT_MAX_CANCEL of the feed's sales). The producer is told through Kafka: the hold's number is
 * committed as the offset of the feed's accept group on the feed-state topic, which the producer reads
 * while it holds a version; it applies the version only if it is still the one held (a newer version
 * replaces a hold). The hold is marked accepted in the database for `status`.
 */
export async function acceptHold(feed: string): Promise<{ seq: number; cancels: number }> {
  const resolved = await envWithStackDefaults();
  const logger = createLogger('feed', loadCliConfig().LOG_LEVEL);
  if (!resolved.DATABASE_URL)
    throw new ConfigError(['DATABASE_URL is not set (and no native stack is running to take it from)']);
  if (!resolved.KAFKA_BROKERS)
    throw new ConfigError(['KAFKA_BROKERS is not set (and no native stack is running to take it from)']);
  const pool = createPool(resolved.DATABASE_URL, logger, { max: 1, applicationName: 'sales-pipeline-feed' });
  try {
    const { rows } = await pool.query<Hold>(
      'SELECT seq, reason, cancels, live_sales, held_at, accepted_at FROM feed_holds WHERE feed = $1',
      [feed],
    );
    const hold = rows[0];
    if (!hold) throw new NoHoldError(feed);
    const kafka = createKafka({
      clientId: 'sales-pipeline-feed',
      brokers: resolved.KAFKA_BROKERS.split(','),
      logger,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId: acceptGroup(feed),
        topic: resolved.FEED_STATE_TOPIC ?? 'sales.feed-state',
        partitions: [{ partition: 0, offset: hold.seq }],
      });
    } finally {
      await admin.disconnect();
    }
    await pool.query('UPDATE feed_holds SET accepted_at = now() WHERE feed = $1 AND seq = $2', [
      feed,
      hold.seq,
    ]);
    return { seq: Number(hold.seq), cancels: Number(hold.cancels) };
  } finally {
    await pool.end();
  }
}
