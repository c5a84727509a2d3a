import { setTimeout as sleep } from 'node:timers/promises';
import { holdsPublished } from './content-hash.ts';
import { replacementByStat, rewrittenInPlace, type Replacement } from './detect-replacement.ts';
import type { FeedCheckpoint } from './feed-checkpoint.ts';
import type { FeedContext } from './feed-context.ts';
import { START_CURSOR } from './feed-cursor.ts';
import { FileChangeSignal } from './file-change-signal.ts';
import { FileSource } from './file-source.ts';

/**
 * Publishes a feed file: from its checkpoint when the file still starts with what was published, and,
 * with `follow`, on as lines are appended (like `tail -F`), across rotations, truncations and rewrites.
 * Changes wake it at once (inotify), with a slow poll as the safety net.
 */
export async function followFile(
  feed: FeedContext,
  path: string,
  checkpoint: FeedCheckpoint | undefined,
): Promise<void> {
  const source = new FileSource(path);
  const changes = feed.options.follow ? new FileChangeSignal(path, feed.logger) : undefined;
  try {
    while (!(await source.open())) {
      if (!changes) throw new Error(`feed file ${path} does not exist`);
      await changes.next(feed.options.filePollMs, feed.stop);
      if (feed.stop.aborted) return;
    }
    await readFile(feed, source, checkpoint, changes);
  } finally {
    changes?.close();
  }
}

async function readFile(
  feed: FeedContext,
  source: FileSource,
  checkpoint: FeedCheckpoint | undefined,
  changes: FileChangeSignal | undefined,
): Promise<void> {
  const { options, position, committer, stop } = feed;
  try {
    await resume(feed, source, checkpoint);
    let lastChange = Date.now();
    while (!stop.aborted) {
      const chunk = await source.read(position.readOffset, options.readBytes);
      if (chunk.length > 0) {
        const seenAt = Date.now();
        await committer.commit(position.read(chunk), seenAt);
        lastChange = seenAt;
        await report(feed, source);
        // A short read means we were caught up: lines are arriving live. Let the next ones gather for
        // the linger time rather than publish a transaction for each few (a backlog is read at once).
        if (changes && chunk.length < options.readBytes && options.lingerMs > 0) {
          if (await feed.idle(options.lingerMs)) return;
        }
        continue;
      }
      if (await followReplacement(feed, source)) {
        lastChange = Date.now();
        continue;
      }
      if (!options.follow) {
        // Without --follow the file is a finished snapshot: its last line is complete as it stands.
        await committer.commit(position.parser.flush(), Date.now());
        await report(feed, source);
        feed.failOnWrongHeader();
        return;
      }
      // Caught up with a feed whose header is wrong: what it holds is dead-lettered, and nothing it
      // will ever hold can become a row. Following it on would be waiting silently for ever.
      feed.failOnWrongHeader();
      const { parser } = position;
      if (
        parser.heldBytes > 0 &&
        Date.now() - lastChange >= options.lastLineIdleMs &&
        parser.trailingIsCompleteRow()
      ) {
        await committer.commit(parser.flush(), lastChange);
      }
      await report(feed, source);
      if (await waitForChange(feed, changes, lastChange)) return;
    }
  } finally {
    await source.close();
  }
}

/**
 * Waits for the followed file to change (or the safety-net poll, or the moment a held last line
 * becomes due), then lingers a little so that lines written one by one are read together. Returns
 * true when stopped.
 */
async function waitForChange(
  feed: FeedContext,
  changes: FileChangeSignal | undefined,
  lastChange: number,
): Promise<boolean> {
  const { options } = feed;
  if (!changes) return feed.idle(options.filePollMs);
  const lastLineDue =
    feed.position.parser.heldBytes > 0
      ? Math.max(1, lastChange + options.lastLineIdleMs - Date.now())
      : Number.POSITIVE_INFINITY;
  await changes.next(Math.min(options.filePollMs, lastLineDue), feed.stop);
  if (options.lingerMs > 0) return feed.idle(options.lingerMs);
  return feed.stop.aborted;
}

async function report(feed: FeedContext, source: FileSource): Promise<void> {
  feed.tally.position(feed.position.cursor.offset, await source.size());
}

/** Checks that the file still holds what was published; starts a new generation when it does not. */
async function resume(feed: FeedContext, source: FileSource, checkpoint: FeedCheckpoint | undefined) {
  const { position, logger } = feed;
  if (!checkpoint) {
    position.reset(START_CURSOR);
    return;
  }
  const { cursor } = checkpoint;
  const prefix = await source.read(0, cursor.offset);
  if (holdsPublished(prefix, cursor.offset, checkpoint.prefixSha256)) {
    position.reset(cursor, prefix);
    if (cursor.offset > 0) position.parser.useHeaderFrom(await source.read(0, feed.options.maxLineBytes + 2));
    logger.info({ ...cursor }, 'resuming feed from its checkpoint');
    return;
  }
  logger.warn(
    { generation: cursor.generation, offset: cursor.offset },
    'the feed file no longer starts with what was published (replaced while the producer was stopped): reading it as a new generation',
  );
  position.reset({ ...START_CURSOR, generation: cursor.generation + 1 });
}

/** How the file at the path was replaced under the open one, if it was. */
async function replacement(feed: FeedContext, source: FileSource): Promise<Replacement | undefined> {
  const current = await source.statPath();
  const open = source.identity;
  if (!current || !open) return undefined;
  const { readOffset, recentTail } = feed.position;
  const byStat = replacementByStat(open, current, readOffset);
  if (byStat || recentTail.length === 0) return byStat;
  const onDisk = await source.read(readOffset - recentTail.length, recentTail.length);
  return rewrittenInPlace(recentTail, onDisk) ? 'rewrite' : undefined;
}

/**
 * At the end of the open file: when the path now names another file (rename rotation), the file
 * shrank (truncation) or was rewritten in place, finish the old one, then either continue in the new
 * file (it starts with everything published: the same feed rewritten) or start a new generation from
 * its first byte. Returns whether the file was replaced.
 */
async function followReplacement(feed: FeedContext, source: FileSource): Promise<boolean> {
  const change = await replacement(feed, source);
  if (!change) return false;
  const { position, committer, logger, options } = feed;

  await committer.commit(position.parser.flush(), Date.now());
  await sleep(options.rotationSettleMs);
  await source.open();
  const cursor = position.cursor;
  const prefix = await source.read(0, cursor.offset);
  if (holdsPublished(prefix, cursor.offset, position.prefixSha256())) {
    logger.info(
      { feed: options.feed, offset: cursor.offset },
      'feed file replaced by a copy that extends it: continuing',
    );
    return true;
  }
  logger.info(
    {
      feed: options.feed,
      generation: cursor.generation + 1,
      // (a rewrite in place has always been logged as a truncation)
      reason: change === 'rotation' ? 'rotation' : 'truncation',
    },
    'feed file replaced: reading the new file as a new generation',
  );
  position.reset({ ...START_CURSOR, generation: cursor.generation + 1 });
  await committer.commit([], Date.now());
  return true;
}
