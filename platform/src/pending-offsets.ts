/** The next offset to read of one partition. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  next: bigint;
}

/**
 * Offsets noted as batches are handled, to be written somewhere later in one go (Kafka, PostgreSQL): the
 * highest noted per partition, and one write at a time. Used by the Kafka offset mirror and by the
 * notifier's deferred offsets.
 */
export class PendingOffsets {
  private readonly byPartition = new Map<string, PartitionOffset>();
  private writing: Promise<void> | undefined;

  /** Notes that a partition was handled up to `next` (exclusive); a lower offset than one noted is ignored. */
  note(topic: string, partition: number, next: bigint): void {
    const key = `${topic}\u0000${partition}`;
    const noted = this.byPartition.get(key);
    if (!noted || next > noted.next) this.byPartition.set(key, { topic, partition, next });
  }

  /** Drops what was noted and not written yet. */
  forget(): void {
    this.byPartition.clear();
  }

  /**
   * Hands what was noted since the last write to `write`, unless nothing was or a write is still running
   * (then it returns that one). `write` handles its own failures; it may note an offset again to retry.
   */
  flush(write: (offsets: PartitionOffset[]) => Promise<void>): Promise<void> {
    if (this.writing || this.byPartition.size === 0) return this.writing ?? Promise.resolve();
    const offsets = [...this.byPartition.values()];
    this.byPartition.clear();
    this.writing = write(offsets).finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }
}
