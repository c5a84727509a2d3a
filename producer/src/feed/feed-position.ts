import { PrefixHash } from './content-hash.ts';
import { lastBytes } from '../sources/file/detect-replacement.ts';
import type { FeedCursor } from './feed-cursor.ts';
import { FeedParser, type FeedOutput } from '../parse/feed-parser.ts';
import type { FeedKind } from '../parse/header.ts';
import type { IdPatterns } from '../parse/id-patterns.ts';
import type { SaleRules } from '../parse/sale-rules.ts';

/**
 * What has been read of a feed's current generation: the parser (and its cursor), the running hash of
 * the bytes the cursor covers, and the last bytes read (to tell a file rewritten in place).
 */
/**
 * A sales file's bytes kept in memory, up to this size, so that a re-export written over the file in place
 * (truncated, then written) can still be compared with what was published. Larger files are not kept.
 */
export const RETAIN_MAX_BYTES = 4 * 1024 * 1024;

export class FeedPosition {
  private current!: FeedParser;
  private hash!: PrefixHash;
  private tail: Buffer = Buffer.alloc(0);
  /** The bytes read of this generation from its first byte, while they fit in RETAIN_MAX_BYTES. */
  private retained: Buffer[] | undefined;
  private retainedBytes = 0;

  constructor(
    private readonly kind: FeedKind,
    private readonly feed: string,
    private readonly parserOptions: { maxRecordBytes: number; ids: IdPatterns; rules?: SaleRules },
  ) {}

  /**
   * Starts reading at `cursor` with a new parser; `prefix`, when given, holds the bytes before the
   * cursor (a resume that found them unchanged).
   */
  reset(cursor: FeedCursor, prefix?: Buffer): void {
    this.current = new FeedParser(this.kind, this.feed, cursor, this.parserOptions);
    this.hash = new PrefixHash(cursor.offset, prefix);
    this.tail = prefix ? lastBytes(Buffer.alloc(0), prefix) : Buffer.alloc(0);
    this.retained = undefined;
    this.retainedBytes = 0;
    if (this.kind === 'sales' && (cursor.offset === 0 || prefix)) this.retain(prefix ?? Buffer.alloc(0));
  }

  private retain(chunk: Buffer): void {
    if (!this.retained && this.retainedBytes > 0) return;
    if (this.retainedBytes + chunk.length > RETAIN_MAX_BYTES) {
      this.retained = undefined;
      this.retainedBytes = Number.POSITIVE_INFINITY;
      return;
    }
    (this.retained ??= []).push(Buffer.from(chunk));
    this.retainedBytes += chunk.length;
  }

  /**
   * The first `length` bytes of the generation as they were read, when they were kept (a sales file of
   * at most RETAIN_MAX_BYTES): what was published, even after the file was rewritten in place.
   */
  retainedPrefix(length: number): Buffer | undefined {
    if (!this.retained || this.retainedBytes < length) return undefined;
    return Buffer.concat(this.retained).subarray(0, length);
  }

  /** A parser of a whole version of the feed (a snapshot), from its first byte, in generation `generation`. */
  versionParser(generation: number): FeedParser {
    return new FeedParser(
      this.kind,
      this.feed,
      { generation, offset: 0, line: 1, openLine: false },
      this.parserOptions,
    );
  }

  get parser(): FeedParser {
    return this.current;
  }

  get cursor(): FeedCursor {
    return this.current.cursor;
  }

  /** Bytes fed to the parser so far: the cursor plus what it holds. */
  get readOffset(): number {
    return this.hash.readOffset;
  }

  /** The last bytes read before `readOffset`: a file rewritten in place at the same size shows here. */
  get recentTail(): Buffer {
    return this.tail;
  }

  /** Feeds the bytes read after the others; returns the outputs of the records they complete. */
  read(chunk: Buffer): FeedOutput[] {
    const outputs = this.current.push(chunk);
    this.hash.advance(chunk, this.current.cursor.offset);
    this.tail = lastBytes(this.tail, chunk);
    if (this.retained) this.retain(chunk);
    return outputs;
  }

  /** sha256 of the bytes [0, cursor offset); a flush or a skipped line ending moves the cursor without new bytes. */
  prefixSha256(): string {
    this.hash.advance(Buffer.alloc(0), this.current.cursor.offset);
    return this.hash.digest();
  }
}
