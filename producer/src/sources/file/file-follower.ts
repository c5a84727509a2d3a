import { setTimeout as sleep } from 'node:timers/promises';
import type { FeedHoldNotice } from '@sales-pipeline/platform';
import { holdsPublished, sha256 } from '../../feed/content-hash.ts';
import { replacementByStat, rewrittenInPlace, type Replacement } from './detect-replacement.ts';
import type { FeedCheckpoint } from '../../feed/feed-checkpoint.ts';
import type { FeedContext } from '../../feed/feed-context.ts';
import { START_CURSOR } from '../../feed/feed-cursor.ts';
import { FileChangeSignal } from './file-change-signal.ts';
import { FollowedFile } from './followed-file.ts';
import { SnapshotFeed } from '../../feed/snapshot-feed.ts';
import { versionLines } from '../../feed/plan-version.ts';
import type { FeedSource } from '../source.ts';

/** The file source: a feed file, tailed or read as versions ({@link followFile}). */
export function fileSource(path: string): FeedSource {
  return { type: 'file', location: path, read: (feed, checkpoint) => followFile(feed, path, checkpoint) };
}

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
  const source = new FollowedFile(path);
  const changes = feed.options.follow ? new FileChangeSignal(path, feed.logger) : undefined;
  try {
    while (!(await source.open())) {
      if (!changes) throw new Error(`feed file ${path} does not exist`);
      await changes.next(feed.options.filePollMs, feed.stop);
      if (feed.stop.aborted) return;
    }
    if (feed.options.snapshot || checkpoint?.snapshot) {
      const snapshot = await snapshotAfterTailing(feed, source, checkpoint);
      if (snapshot) await followSnapshot(feed, source, snapshot, changes, undefined);
      return;
    }
    const reexport = await readFile(feed, source, checkpoint, changes);
    if (reexport) await followSnapshot(feed, source, reexport.snapshot, changes, reexport.body);
  } finally {
    changes?.close();
  }
}

/**
 * The feed read as versions from now on. A feed tailed until now: what was published is its version 1
 * when the file still starts with it (committed at once); otherwise a file that repeats published sales
 * is held ({@link holdReexport}: nothing is read), and other data is a new generation, its ids its own.
 * Undefined when stopping.
 */
async function snapshotAfterTailing(
  feed: FeedContext,
  source: FollowedFile,
  checkpoint: FeedCheckpoint | undefined,
): Promise<SnapshotFeed | undefined> {
  if (!checkpoint || checkpoint.snapshot || checkpoint.cursor.offset === 0)
    return SnapshotFeed.resume(feed, checkpoint);
  const { cursor } = checkpoint;
  for (;;) {
    const published = await source.read(0, cursor.offset);
    if (holdsPublished(published, cursor.offset, checkpoint.prefixSha256)) {
      const snapshot = SnapshotFeed.fromPublished(feed, checkpoint, published);
      await snapshot.adoptPublished(published);
      return snapshot;
    }
    const outcome =
      feed.options.kind === 'sales' && checkpoint.fingerprint?.length
        ? await holdReexport(feed, source, checkpoint)
        : 'generation';
    if (outcome === 'stopped') return undefined;
    if (outcome === 'generation') return SnapshotFeed.resume(feed, checkpoint, cursor.generation + 1);
  }
}

/**
 * Follows a file read as versions: each time it changes (and has been quiet for ROTATION_SETTLE_MS, so
 * that a file being written is not read half-way), the whole file is the feed's next version. `first`,
 * when given, is the version to apply first (the re-export that turned a tailed file into versions).
 */
async function followSnapshot(
  feed: FeedContext,
  source: FollowedFile,
  snapshot: SnapshotFeed,
  changes: FileChangeSignal | undefined,
  first: Buffer | undefined,
): Promise<void> {
  const { options, tally, stop } = feed;
  let body = first;
  try {
    while (!stop.aborted) {
      if (!body && (await source.open())) body = await source.read(0, await source.size());
      if (body) {
        await snapshot.apply(body, Date.now());
        tally.position(body.length, body.length);
      }
      body = undefined;
      if (!options.follow || !changes) return;
      // A held version is looked at again at every poll: it may have been accepted meanwhile.
      await changes.next(options.filePollMs, stop);
      if (await settle(feed, source)) return;
    }
  } finally {
    await source.close();
  }
}

/** Waits until the file's size has not changed for ROTATION_SETTLE_MS. True when stopping. */
async function settle(feed: FeedContext, source: FollowedFile): Promise<boolean> {
  let before = await source.statPath();
  for (;;) {
    if (await feed.idle(feed.options.rotationSettleMs)) return true;
    const now = await source.statPath();
    if (now?.size === before?.size && now?.ino === before?.ino) return false;
    before = now;
  }
}

/**
 * Tails the file. Returns when done or stopped, or, when the file was replaced by a re-export of the data
 * published (it shares rows with it), with the feed as versions and the re-export, its next version.
 */
async function readFile(
  feed: FeedContext,
  source: FollowedFile,
  checkpoint: FeedCheckpoint | undefined,
  changes: FileChangeSignal | undefined,
): Promise<{ snapshot: SnapshotFeed; body: Buffer } | undefined> {
  const { options, position, committer, stop } = feed;
  let reexport = false;
  try {
    if (!(await resume(feed, source, checkpoint))) return undefined;
    let lastChange = Date.now();
    while (!stop.aborted) {
      const chunk = await source.read(position.readOffset, options.readBytes);
      if (chunk.length > 0 && (await rewrittenBefore(feed, source))) {
        // The file was rewritten in place and grew: its new bytes are not lines appended to the old ones.
        const replaced = await followReplacement(feed, source);
        if (replaced === 'stop') return undefined;
        if (typeof replaced === 'object') {
          reexport = true;
          return replaced;
        }
        lastChange = Date.now();
        continue;
      }
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
      const replaced = await followReplacement(feed, source);
      if (replaced === 'stop') return undefined;
      if (typeof replaced === 'object') {
        reexport = true;
        return replaced;
      }
      if (replaced) {
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
    return undefined;
  } finally {
    // A re-export goes on with the same open file, read as versions.
    if (!reexport) await source.close();
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

async function report(feed: FeedContext, source: FollowedFile): Promise<void> {
  feed.tally.position(feed.position.cursor.offset, await source.size());
}

/**
 * Checks that the file still holds what was published; starts a new generation when it does not.
 * False when nothing is to be read (a held re-export, and the producer stops).
 */
async function resume(
  feed: FeedContext,
  source: FollowedFile,
  checkpoint: FeedCheckpoint | undefined,
): Promise<boolean> {
  const { position, logger } = feed;
  if (!checkpoint) {
    position.reset(START_CURSOR);
    return true;
  }
  const { cursor } = checkpoint;
  const prefix = await source.read(0, cursor.offset);
  if (holdsPublished(prefix, cursor.offset, checkpoint.prefixSha256)) {
    position.reset(cursor, prefix);
    if (cursor.offset > 0) position.parser.useHeaderFrom(await source.read(0, feed.options.maxLineBytes + 2));
    logger.info({ ...cursor }, 'resuming feed from its checkpoint');
    return true;
  }
  if (feed.options.kind === 'sales' && checkpoint.fingerprint?.length) {
    // Replaced while the producer was stopped: the published bytes are gone. A file that repeats
    // published sales is a re-export that cannot be compared with them: held, never counted again.
    const outcome = await holdReexport(feed, source, checkpoint);
    if (outcome === 'stopped') return false;
    if (outcome === 'resume') return resume(feed, source, checkpoint);
  }
  logger.warn(
    { generation: cursor.generation, offset: cursor.offset },
    'the feed file no longer starts with what was published (replaced while the producer was stopped): reading it as a new generation',
  );
  position.reset({ ...START_CURSOR, generation: cursor.generation + 1 });
  return true;
}

/**
 * A file in the feed's place that does not start with what was published, when the published bytes can no
 * longer be read (replaced while the producer was stopped, or a large file rewritten in place): if it
 * holds the first or last sale line published (the checkpoint's fingerprint), it is a re-export of the
 * same data, and its new sales cannot be told from the ones already counted. It is held: reported once
 * (status, dashboard, Slack), nothing read, until the file again starts with what was published
 * ('resume'), no longer repeats it or `feed accept` accepts it as new data ('generation'), or the producer
 * stops ('stopped'; without --follow, once reported).
 */
async function holdReexport(
  feed: FeedContext,
  source: FollowedFile,
  checkpoint: Pick<FeedCheckpoint, 'cursor' | 'prefixSha256' | 'fingerprint' | 'reexportHold'>,
): Promise<'resume' | 'generation' | 'stopped'> {
  const { cursor } = checkpoint;
  const fingerprint = new Set(checkpoint.fingerprint ?? []);
  let held = checkpoint.reexportHold;
  for (;;) {
    if (!(await source.open())) return 'generation';
    const body = await source.read(0, await source.size());
    if (holdsPublished(body.subarray(0, cursor.offset), cursor.offset, checkpoint.prefixSha256))
      return 'resume';
    const parser = feed.position.versionParser(cursor.generation);
    const repeats = versionLines([...parser.push(body), ...parser.flush()]).some(
      (l) => l.output.type === 'row' && fingerprint.has(l.hash),
    );
    if (!repeats) return 'generation';
    const sha = sha256(body);
    if (held?.sha !== sha) {
      held = { seq: Math.floor(Date.now() / 1000), sha };
      await reportReexportHold(feed, { ...checkpoint, reexportHold: held });
    } else if ((await feed.publisher.acceptedHold()) === held.seq) {
      feed.logger.warn({ seq: held.seq }, 'held re-export accepted: reading the file as a new generation');
      return 'generation';
    }
    if (!feed.options.follow || (await feed.idle(feed.options.filePollMs))) return 'stopped';
  }
}

async function reportReexportHold(
  feed: FeedContext,
  checkpoint: Pick<FeedCheckpoint, 'cursor' | 'prefixSha256' | 'fingerprint' | 'reexportHold'>,
): Promise<void> {
  const held = checkpoint.reexportHold as { seq: number; sha: string };
  const { feed: name, topics } = feed.options;
  const reason =
    `the feed file was replaced by one that repeats sales already published (a re-export?), and the ` +
    `published lines can no longer be read back (replaced while the producer was stopped, or rewritten in ` +
    `place), so its new sales cannot be told from those already counted. Nothing was read. To apply it as a ` +
    `correction: put the published file back, let the producer read it, then save the corrected one over it ` +
    `(or read the feed in snapshot mode). If it is new data: sales-pipeline feed accept ${name}`;
  const notice: FeedHoldNotice = {
    type: 'feed-hold',
    feed: name,
    seq: held.seq,
    version_sha: held.sha,
    reason,
    cancels: 0,
    live_sales: 0,
    detected_at: new Date().toISOString(),
  };
  await feed.publisher.publish(
    new Map([[topics.deadLetter, [{ key: `${name}/hold/${held.seq}`, value: JSON.stringify(notice) }]]]),
    { ...checkpoint, fingerprint: checkpoint.fingerprint },
  );
  feed.tally.versionHeld();
  feed.logger.error({ seq: held.seq }, `feed file held: ${reason}`);
}

/**
 * Whether the open file no longer holds, just before the read offset, the bytes read there: it was
 * rewritten in place (one pread of at most 256 bytes).
 */
async function rewrittenBefore(feed: FeedContext, source: FollowedFile): Promise<boolean> {
  const { readOffset, recentTail } = feed.position;
  if (recentTail.length === 0) return false;
  return rewrittenInPlace(recentTail, await source.read(readOffset - recentTail.length, recentTail.length));
}

/** How the file at the path was replaced under the open one, if it was. */
async function replacement(feed: FeedContext, source: FollowedFile): Promise<Replacement | undefined> {
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
async function followReplacement(
  feed: FeedContext,
  source: FollowedFile,
): Promise<boolean | 'stop' | { snapshot: SnapshotFeed; body: Buffer }> {
  const change = await replacement(feed, source);
  if (!change) return false;
  const { position, committer, logger, options } = feed;

  await committer.commit(position.parser.flush(), Date.now());
  const cursor = position.cursor;
  const publishedSha = position.prefixSha256();
  // What was published of this generation, from the old file while it is still open: a file replaced by
  // a rename still holds it (one truncated or rewritten in place does not).
  // A file rewritten in place: the bytes read were kept in memory when the file is small enough.
  const onDisk = await source.read(0, cursor.offset);
  const published = holdsPublished(onDisk, cursor.offset, publishedSha)
    ? onDisk
    : position.retainedPrefix(cursor.offset);
  const readable = published !== undefined && holdsPublished(published, cursor.offset, publishedSha);
  await sleep(options.rotationSettleMs);
  await source.open();
  const prefix = await source.read(0, cursor.offset);
  if (holdsPublished(prefix, cursor.offset, publishedSha)) {
    logger.info(
      { feed: options.feed, offset: cursor.offset },
      'feed file replaced by a copy that extends it: continuing',
    );
    return true;
  }
  if (!readable && options.kind === 'sales' && committer.fingerprintHashes.length > 0) {
    const outcome = await holdReexport(feed, source, {
      cursor,
      prefixSha256: publishedSha,
      fingerprint: committer.fingerprintHashes,
    });
    if (outcome === 'stopped') return 'stop';
    if (outcome === 'resume') return true;
  }
  if (readable && published && options.kind === 'sales' && cursor.offset > 0) {
    // A re-export (the same data saved again, corrected): compared with what was published, never
    // counted again. Only a file that holds none of the published rows is a rotation, a new generation.
    const snapshot = SnapshotFeed.fromPublished(
      feed,
      { cursor, prefixSha256: publishedSha, rev: committer.lastRev },
      published,
    );
    const body = await source.read(0, await source.size());
    const shared = snapshot.sharedRows(body);
    if (shared > 0) {
      // The decision is committed before anything else: a restart compares with the published lines.
      await snapshot.adoptPublished(published);
      logger.info(
        { feed: options.feed, sharedRows: shared },
        'feed file replaced by a re-export of the published data: applying it as a new version (corrections, cancellations, new sales), and reading the file as versions from now on',
      );
      return { snapshot, body };
    }
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
