import fs from 'node:fs';
import { sleep } from '../bench-stack.ts';
import { SALES_HEADER, csvLine } from './feed.ts';

/**
 * The load driver of the parts that feed a running producer (`--follow`): appends the generated feed's
 * rows to `file`, in order, and keeps when each row was appended (the bench's clock after the write).
 */
export class FeedAppender {
  /** Epoch ms at which each 0-based row was appended (0 until it is). */
  readonly appendedAt: Float64Array;
  /** Rows appended so far. */
  written = 0;
  private fd: number | undefined;

  /** Creates `file` with the feed's header; `rows` rows may be appended. */
  constructor(file: string, rows: number) {
    fs.writeFileSync(file, SALES_HEADER);
    this.fd = fs.openSync(file, 'a');
    this.appendedAt = new Float64Array(rows);
  }

  /** Appends the rows from the last one written up to `to` (excluded), in one write. */
  append(to: number): void {
    const from = this.written;
    let chunk = '';
    for (let i = from; i < to; i++) chunk += csvLine(i);
    if (this.fd === undefined) throw new Error('the feed is closed');
    fs.writeSync(this.fd, chunk);
    const now = Date.now();
    for (let i = from; i < to; i++) this.appendedAt[i] = now;
    this.written = to;
  }

  /**
   * Appends at `ratePerSecond` up to row `to`, one steady stream: every 5 ms, the rows due by then. With a
   * `checkpoint`, the stream stops at its row, calls `reached` (to take readings there), then goes on.
   */
  async appendAtRate(
    ratePerSecond: number,
    to: number,
    checkpoint?: { row: number; reached: () => void },
  ): Promise<void> {
    const from = this.written;
    const started = Date.now();
    let pending = checkpoint;
    while (this.written < to) {
      const due = Math.min(
        to,
        from + Math.floor(((Date.now() - started) * ratePerSecond) / 1000),
        pending ? pending.row : to,
      );
      if (due > this.written) this.append(due);
      if (pending && this.written === pending.row) {
        pending.reached();
        pending = undefined;
      }
      if (this.written < to) await sleep(5);
    }
  }

  /** Closes the file (once; again does nothing). */
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
