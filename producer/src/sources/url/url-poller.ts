import { holdsPublished } from '../../feed/content-hash.ts';
import type { FeedCheckpoint } from '../../feed/feed-checkpoint.ts';
import type { FeedContext } from '../../feed/feed-context.ts';
import { SnapshotFeed } from '../../feed/snapshot-feed.ts';
import { UrlFetcher } from './url-fetcher.ts';
import type { FeedSource } from '../source.ts';

/** The URL source: a feed served at a URL, polled, each changed answer a version ({@link pollUrl}). */
export function urlSource(url: string): FeedSource {
  return { type: 'url', location: url, read: (feed, checkpoint) => pollUrl(feed, url, checkpoint) };
}

/**
 * Publishes a feed served at a URL. Every answer is a complete snapshot: each changed one is a new
 * version of the data, compared with the published one ({@link SnapshotFeed}): new lines anywhere are new
 * sales, changed lines amendments, missing lines cancellations. With `follow`, polls every `urlPollMs` (a
 * failed poll is tried again; a held version is looked at again, in case it was accepted); without it,
 * publishes one snapshot.
 */
export async function pollUrl(feed: FeedContext, url: string, checkpoint: FeedCheckpoint | undefined) {
  const { options, committer, tally, logger, stop } = feed;
  const source = new UrlFetcher(url);
  let snapshot =
    !checkpoint || checkpoint.snapshot || checkpoint.cursor.offset === 0
      ? SnapshotFeed.resume(feed, checkpoint)
      : undefined;
  let held: Buffer | undefined;
  while (!stop.aborted) {
    let body: Buffer | undefined;
    try {
      const poll = await source.poll();
      body = poll.changed ? poll.body : held;
    } catch (error) {
      if (!options.follow) throw error;
      logger.warn({ feed: options.feed, err: error }, 'polling the feed URL failed; trying again');
      if (await feed.idle(options.urlPollMs)) return;
      continue;
    }
    if (body) {
      if (!snapshot && checkpoint) {
        // Published by a producer that appended what each answer added: that is version 1, as long as
        // the answer still starts with it.
        const prefix = body.subarray(0, checkpoint.cursor.offset);
        if (holdsPublished(prefix, checkpoint.cursor.offset, checkpoint.prefixSha256)) {
          snapshot = SnapshotFeed.fromPublished(feed, checkpoint, prefix);
        } else {
          await committer.reportRewrite(body, checkpoint);
        }
      }
      if (snapshot) {
        const outcome = await snapshot.apply(body, Date.now());
        held = outcome === 'held' ? body : undefined;
      }
      tally.position(body.length, body.length);
    }
    if (!options.follow) return;
    if (await feed.idle(options.urlPollMs)) return;
  }
}
