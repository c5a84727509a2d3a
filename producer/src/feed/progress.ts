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

/** Where a feed's publication stands, for a progress line. */
export interface ProgressState {
  feed: string;
  rows: number;
  rejected: number;
  /** Bytes of the file published, and its size (undefined when unknown: a URL without a length). */
  offset: number;
  total: number | undefined;
  /** Rows a second since the last report. */
  rowsPerSecond: number;
  /** Seconds left at the byte rate since the start, when it can be told. */
  etaSeconds: number | undefined;
}

const BAR_WIDTH = 24;
const count = (n: number) => Math.round(n).toLocaleString('en');

/** `1:05`, `1:02:05`: a duration for a terminal. Pure. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/**
 * The terminal's progress line: a bar of the file's bytes, the rows, the rejected lines, the rate and the
 * time left. Pure; the feed's name is stripped of control characters (it is drawn on a terminal).
 */
export function progressLine(state: ProgressState): string {
  // eslint-disable-next-line no-control-regex
  const name = state.feed.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const fraction = state.total ? Math.min(1, state.offset / state.total) : undefined;
  const bar =
    fraction === undefined
      ? ''
      : ` [${'#'.repeat(Math.round(fraction * BAR_WIDTH)).padEnd(BAR_WIDTH, '.')}] ${(fraction * 100).toFixed(1)}%`;
  const eta = state.etaSeconds === undefined ? '' : `, ETA ${clock(state.etaSeconds)}`;
  return `${name}${bar} ${count(state.rows)} rows, ${count(state.rejected)} rejected, ${count(state.rowsPerSecond)} rows/s${eta}`;
}

/** Seconds left: the bytes left at the byte rate since `startOffset` was read. Pure. */
export function etaSeconds(
  startOffset: number,
  offset: number,
  total: number | undefined,
  elapsedMs: number,
): number | undefined {
  if (!total || elapsedMs < 1000 || offset <= startOffset) return undefined;
  const bytesPerMs = (offset - startOffset) / elapsedMs;
  return Math.max(0, total - offset) / bytesPerMs / 1000;
}

/**
 * Progress of a backfill: a line redrawn on a TTY (bar, rows/s, ETA), a log line every `logEveryMs`
 * otherwise.
 */
export class Progress {
  private lastReport = 0;
  private lastRows = 0;
  private readonly started = Date.now();
  /** The offset the run started from (a resumed feed starts where it stopped): the ETA's rate counts from it. */
  private startOffset: number | undefined;

  constructor(
    private readonly feed: string,
    private readonly logger: Logger,
    private readonly tty: NodeJS.WriteStream | undefined,
    private readonly logEveryMs = 10_000,
  ) {}

  update(counts: FeedCounts, offset: number, total: number | undefined): void {
    this.startOffset ??= offset;
    const now = Date.now();
    const every = this.tty ? 250 : this.logEveryMs;
    if (now - this.lastReport < every) return;
    const rate =
      ((counts.rows - this.lastRows) * 1000) / Math.max(1, now - this.lastReport || now - this.started);
    this.lastReport = now;
    this.lastRows = counts.rows;
    const eta = etaSeconds(this.startOffset, offset, total, now - this.started);
    if (this.tty) {
      const line = progressLine({
        feed: this.feed,
        rows: counts.rows,
        rejected: counts.deadLetters,
        offset,
        total,
        rowsPerSecond: rate,
        etaSeconds: eta,
      });
      this.tty.write(`\r${line}\u001b[K`);
    } else {
      const percent = total ? Math.min(100, (offset / total) * 100) : undefined;
      this.logger.info(
        {
          feed: this.feed,
          ...counts,
          offset,
          percent,
          rowsPerSecond: Math.round(rate),
          etaSeconds: eta === undefined ? undefined : Math.round(eta),
        },
        'progress',
      );
    }
  }

  done(counts: FeedCounts): void {
    if (this.tty && this.lastReport > 0) this.tty.write('\n');
    this.logger.info({ feed: this.feed, ...counts, durationMs: Date.now() - this.started }, 'feed published');
  }
}
