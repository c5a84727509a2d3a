import type { Logger } from '@sales-pipeline/platform';

/** Counts of what a feed's records became: every record is exactly one of these. */
export interface FeedCounts {
  rows: number;
  deadLetters: number;
  headers: number;
  /** Rewritten source versions reported (URL feeds): dead letters that are not input lines. */
  rewrites: number;
  /** Snapshot versions applied, and what they changed. */
  versions: number;
  /** Snapshot versions held back: they would cancel more than SNAPSHOT_MAX_CANCEL of the sales. */
  held: number;
  newSales: number;
  amendments: number;
  cancellations: number;
}

/** Counts of a feed nothing was read of yet. */
export function emptyCounts(): FeedCounts {
  return {
    rows: 0,
    deadLetters: 0,
    headers: 0,
    rewrites: 0,
    versions: 0,
    held: 0,
    newSales: 0,
    amendments: 0,
    cancellations: 0,
  };
}

/**
 * Progress of a backfill: a line redrawn on a TTY (rows/s, % of the file), a log line every
 * `logEveryMs` otherwise.
 */
export class Progress {
  private lastReport = 0;
  private lastRows = 0;
  private readonly started = Date.now();

  constructor(
    private readonly feed: string,
    private readonly logger: Logger,
    private readonly tty: NodeJS.WriteStream | undefined,
    private readonly logEveryMs = 10_000,
  ) {}

  update(counts: FeedCounts, offset: number, total: number | undefined): void {
    const now = Date.now();
    const every = this.tty ? 250 : this.logEveryMs;
    if (now - this.lastReport < every) return;
    const rate =
      ((counts.rows - this.lastRows) * 1000) / Math.max(1, now - this.lastReport || now - this.started);
    this.lastReport = now;
    this.lastRows = counts.rows;
    const percent = total ? Math.min(100, (offset / total) * 100) : undefined;
    if (this.tty) {
      const pct = percent === undefined ? '' : ` ${percent.toFixed(1)}%`;
      this.tty.write(
        `\r${this.feed}:${pct} ${counts.rows.toLocaleString('en')} rows, ${counts.deadLetters} rejected, ${Math.round(rate).toLocaleString('en')} rows/s   `,
      );
    } else {
      this.logger.info(
        { feed: this.feed, ...counts, offset, percent, rowsPerSecond: Math.round(rate) },
        'progress',
      );
    }
  }

  done(counts: FeedCounts): void {
    if (this.tty && this.lastReport > 0) this.tty.write('\n');
    this.logger.info({ feed: this.feed, ...counts, durationMs: Date.now() - this.started }, 'feed published');
  }
}
