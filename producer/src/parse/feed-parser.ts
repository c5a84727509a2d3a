import type { DeadLetter } from '@sales-pipeline/platform';
import { parseFields } from './csv-fields.ts';
import type { FeedCursor } from '../feed/feed-cursor.ts';
import type { FeedKind } from './header.ts';
import type { IdPatterns } from './id-patterns.ts';
import { parseRow, type ParsedRow } from './parse-row.ts';
import { readHeader, type FeedHeader, type RefusedHeader } from './read-header.ts';
import { recordDeadLetter } from '../feed/record-dead-letter.ts';
import { DEFAULT_SALE_RULES, type SaleRules } from './sale-rules.ts';
import { RecordSplitter, type RawRecord } from './record-splitter.ts';
import { strictUtf8 } from './utf8.ts';

export { START_CURSOR, type FeedCursor } from '../feed/feed-cursor.ts';

/** What one record became. `end` is the cursor offset just after it. */
export type FeedOutput =
  | { type: 'row'; row: ParsedRow; line: number; end: number }
  | { type: 'dead'; letter: DeadLetter; end: number }
  | { type: 'header'; line: number; end: number };

const LF = 0x0a;
const CR = 0x0d;

/**
 * Turns a feed's bytes into rows and dead letters, record by record, tracking the cursor. Pure: the
 * caller does the reading and the publishing. Every record ends up as exactly one output: the header,
 * a row, or a dead letter with the raw line and the reason.
 */
export class FeedParser {
  private splitter: RecordSplitter;
  private header: FeedHeader | RefusedHeader | undefined;
  private state: FeedCursor;
  private heldTerminator: Buffer = Buffer.alloc(0);
  private continuationOf: number | undefined;

  constructor(
    private readonly kind: FeedKind,
    private readonly feed: string,
    cursor: FeedCursor,
    private readonly options: {
      maxRecordBytes: number;
      now?: () => Date;
      ids?: IdPatterns;
      rules?: SaleRules;
    },
  ) {
    this.state = { ...cursor };
    this.splitter = new RecordSplitter(cursor.offset, cursor.line, options.maxRecordBytes);
  }

  /** The cursor after everything returned so far. */
  get cursor(): FeedCursor {
    return { ...this.state };
  }

  /** Bytes of an incomplete trailing record not yet returned. */
  get heldBytes(): number {
    return this.splitter.heldBytes + this.heldTerminator.length;
  }

  /** The feed's header has a sale-id column: its sales are identified by it, and can be amended. */
  get hasOwnIds(): boolean {
    return (
      this.header !== undefined && !('error' in this.header) && this.header.columns.sale_id !== undefined
    );
  }

  /**
   * Why the feed's header was refused, with the header line as found (cut at 200 characters); undefined
   * while no header was read or when it is valid. Such a feed can never yield a row: every line after it
   * is dead-lettered.
   */
  get headerProblem(): { reason: string; found: string } | undefined {
    return this.header && 'error' in this.header
      ? { reason: this.header.error, found: this.header.found }
      : undefined;
  }

  /**
   * On a resume in the middle of a generation: reads the header from the first bytes of the feed.
   * Returns false when those bytes hold no complete first record.
   */
  useHeaderFrom(firstBytes: Buffer): boolean {
    const splitter = new RecordSplitter(0, 1, this.options.maxRecordBytes);
    const [record] = splitter.push(firstBytes);
    const first = record ?? splitter.flush();
    if (!first) return false;
    this.readHeader(first);
    return true;
  }

  /** Feeds the bytes that follow the cursor; returns the outputs of the records they complete. */
  push(chunk: Buffer): FeedOutput[] {
    if (this.state.openLine) {
      chunk = this.consumeTerminatorOfOpenLine(chunk);
      if (this.state.openLine) return [];
    }
    return this.splitter.push(chunk).map((record) => this.output(record));
  }

  /** Takes the held trailing record as complete: the source is a finished snapshot, or went quiet. */
  flush(): FeedOutput[] {
    if (this.state.openLine) return [];
    const record = this.splitter.flush();
    if (!record) return [];
    const output = this.output(record);
    this.state.openLine = true;
    return [output];
  }

  /**
   * Whether the held trailing record, taken now, would be a valid row: the rule for a followed file's
   * unterminated last line (an incomplete line usually lacks fields or has a cut value).
   */
  trailingIsCompleteRow(): boolean {
    if (this.state.openLine || this.continuationOf !== undefined) return false;
    const record = this.splitter.peek();
    if (!record || record.start === 0) return false;
    return this.classify(record).type === 'row';
  }

  private consumeTerminatorOfOpenLine(chunk: Buffer): Buffer {
    const bytes = this.heldTerminator.length ? Buffer.concat([this.heldTerminator, chunk]) : chunk;
    this.heldTerminator = Buffer.alloc(0);
    if (bytes.length === 0) return bytes;
    let skip = 0;
    if (bytes[0] === LF) skip = 1;
    else if (bytes[0] === CR && bytes.length === 1) {
      this.heldTerminator = bytes;
      return Buffer.alloc(0);
    } else if (bytes[0] === CR && bytes[1] === LF) skip = 2;
    this.state.openLine = false;
    if (skip === 0) {
      // The line taken as complete was not: what follows is the rest of it, reported, never merged.
      this.state.line -= 1;
      this.continuationOf = this.state.line;
      this.resetSplitter();
      return bytes;
    }
    this.state.offset += skip;
    this.resetSplitter();
    return bytes.subarray(skip);
  }

  private resetSplitter(): void {
    const delimiter = this.splitter.delimiter;
    this.splitter = new RecordSplitter(this.state.offset, this.state.line, this.options.maxRecordBytes);
    this.splitter.delimiter = delimiter;
  }

  private readHeader(record: RawRecord): void {
    const rules = this.options.rules ?? DEFAULT_SALE_RULES;
    this.header = readHeader(record, this.kind, this.options.maxRecordBytes, {
      sale_id: rules.saleIdColumn,
      status: rules.statusColumn,
    });
    if (!('error' in this.header)) this.splitter.delimiter = this.header.delimiter.charCodeAt(0);
  }

  private output(record: RawRecord): FeedOutput {
    this.state.offset = record.end;
    this.state.line = record.line + record.lines;
    if (this.continuationOf !== undefined) {
      const line = this.continuationOf;
      this.continuationOf = undefined;
      return {
        type: 'dead',
        letter: this.deadLetter(
          record,
          `continues line ${line}, which had been taken as complete and published; this remainder is not merged into it`,
        ),
        end: record.end,
      };
    }
    if (record.start === 0 && record.line === 1) {
      this.readHeader(record);
      if (this.header && 'error' in this.header) {
        return {
          type: 'dead',
          letter: this.deadLetter(record, `invalid header: ${this.header.error}`),
          end: record.end,
        };
      }
      return { type: 'header', line: record.line, end: record.end };
    }
    return this.classify(record);
  }

  /** What a data record becomes. No state change. */
  private classify(record: RawRecord): FeedOutput {
    const dead = (reason: string): FeedOutput => ({
      type: 'dead',
      letter: this.deadLetter(record, reason),
      end: record.end,
    });

    if (!this.header) return dead('the feed has no header line');
    if ('error' in this.header) return dead(`the feed's header is invalid (${this.header.error})`);
    if (record.tooLong)
      return dead(`line longer than ${this.options.maxRecordBytes} bytes (${record.length} bytes)`);
    const text = strictUtf8(record.bytes);
    if (text === undefined) return dead('invalid UTF-8');
    if (text.trim() === '') return dead('empty line');
    const fields = parseFields(text, this.header.delimiter);
    if (!fields.ok) return dead(fields.reason);
    const parsed = parseRow(
      this.kind,
      fields.fields,
      this.header.columns,
      this.header.width,
      { feed: this.feed, generation: this.state.generation, line: record.line },
      this.options.ids,
      this.options.rules,
    );
    if (!parsed.ok) return dead(parsed.reason);
    return { type: 'row', row: parsed.row, line: record.line, end: record.end };
  }

  private deadLetter(record: RawRecord, reason: string): DeadLetter {
    return recordDeadLetter(record, this.feed, reason, this.options.now?.() ?? new Date());
  }
}
