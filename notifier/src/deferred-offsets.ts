import {
  lockOffset,
  PendingOffsets,
  storeOffset,
  withTransaction,
  type Logger,
  type Pool,
} from '@sales-pipeline/platform';

/** How often the offsets of batches that recorded nothing are stored. */
export const DEFERRED_OFFSETS_FLUSH_MS = 1_000;

/**
 * The offsets of change batches that could record no milestone, stored now and then rather than in a
 * transaction per batch (most batches record nothing: a sale that is not big, a total that crossed no
 * step). Losing one to a crash loses nothing: the batches after the stored offset are read again, and
 * what a change records does not depend on when it is read (a milestone is unique per rule, subject and
 * step anyway). Stored offsets only move forward: a batch that recorded milestones may have stored a
 * later one meanwhile.
 */
export class DeferredOffsets {
  private readonly pending = new PendingOffsets();

  constructor(
    private readonly pool: Pool,
    private readonly group: string,
    private readonly log: Logger,
  ) {}

  /** Remembers that a partition was handled up to `next` (exclusive), to be stored by the next {@link flush}. */
  defer(topic: string, partition: number, next: bigint): void {
    this.pending.note(topic, partition, next);
  }

  /** Stores what was deferred, a short transaction per partition; one flush at a time. */
  flush(): Promise<void> {
    return this.pending.flush(async (offsets) => {
      for (const { topic, partition, next } of offsets) {
        try {
          await withTransaction(this.pool, async (client) => {
            const stored = await lockOffset(client, this.group, topic, partition);
            if (next > stored) await storeOffset(client, this.group, topic, partition, next);
          });
        } catch (error) {
          // Only the resume point is late: the changes after it are read again after a restart.
          this.log.warn({ err: error, topic, partition }, 'could not store a deferred offset; will retry');
          this.pending.note(topic, partition, next);
        }
      }
    });
  }
}
