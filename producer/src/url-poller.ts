import { holdsPublished, sha256 } from './content-hash.ts';
import type { FeedCheckpoint } from './feed-checkpoint.ts';
import type { FeedContext } from './feed-context.ts';
import { START_CURSOR } from './feed-cursor.ts';
import { UrlSource } from './url-source.ts';

/**
 * Publishes a feed served at a URL: each changed snapshot that extends what was published sends its new
 * rows; a snapshot that changed rows already published is reported, nothing re-sent. With `follow`, polls
 * every `urlPollMs` (a failed poll is tried again); without it, publishes one snapshot.
 */
export async function pollUrl(feed: FeedContext, url: string, checkpoint: FeedCheckpoint | undefined) {
  const { options, position, committer, tally, logger, stop } = feed;
  const source = new UrlSource(url);
  let cursor = checkpoint?.cursor ?? START_CURSOR;
  let prefixSha = checkpoint?.prefixSha256 ?? sha256(Buffer.alloc(0));
  position.reset(cursor);
  while (!stop.aborted) {
    let poll;
    try {
      poll = await source.poll();
    } catch (error) {
      if (!options.follow) throw error;
      logger.warn({ feed: options.feed, err: error }, 'polling the feed URL failed; trying again');
      if (await feed.idle(options.urlPollMs)) return;
      continue;
    }
    if (poll.changed) {
      const { body } = poll;
      const prefix = body.subarray(0, cursor.offset);
      if (!holdsPublished(prefix, cursor.offset, prefixSha)) {
        await committer.reportRewrite(body, { cursor, prefixSha256: prefixSha });
      } else {
        // A snapshot is complete: its last line counts even without a line ending.
        position.reset(cursor, prefix);
        if (cursor.offset > 0) position.parser.useHeaderFrom(body);
        const seenAt = Date.now();
        const outputs = [...position.read(body.subarray(cursor.offset)), ...position.parser.flush()];
        await committer.commit(outputs, seenAt);
        cursor = position.cursor;
        prefixSha = position.prefixSha256();
      }
      tally.position(cursor.offset, body.length);
      feed.failOnWrongHeader();
    }
    if (!options.follow) return;
    if (await feed.idle(options.urlPollMs)) return;
  }
}
