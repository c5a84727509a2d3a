/** A CSV record's bytes and where it sits in the feed. */
export interface RawRecord {
  /** The record's bytes without its line terminator (cut at the size limit when `tooLong`). */
  bytes: Buffer;
  /** Byte offset of the record's first byte in the feed. */
  start: number;
  /** Byte offset just after the record and its terminator. */
  end: number;
  /** 1-based physical line number of the record's first line. */
  line: number;
  /** Physical lines the record spans (more than 1 with quoted newlines). */
  lines: number;
  /** False for a trailing record taken by {@link RecordSplitter.flush} before any terminator arrived. */
  terminated: boolean;
  /** The record was longer than the limit: `bytes` holds its beginning only. */
  tooLong: boolean;
  /** Its full length in bytes, terminator excluded. */
  length: number;
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * Splits a byte stream into CSV records, keeping exact byte offsets for checkpoints. A newline inside a
 * quoted field does not end a record; a quote opens a quoted field only at the start of a field (RFC 4180),
 * so a stray quote inside a value cannot swallow the lines after it. A record longer than `maxRecordBytes`
 * ends at the next newline whatever the quotes, so one bad line never hides the following ones.
 * An incomplete trailing record is held until its terminator arrives (or {@link flush} takes it).
 * Field parsing itself is csv-parse's job: this only finds record boundaries.
 */
export class RecordSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private keptLength = 0;
  private recordStart: number;
  private nextLine: number;
  private inQuotes = false;
  private quotedField = false;
  private atFieldStart = true;
  private newlines = 0;
  private scanned = 0;
  /** Field separator once known (after the header); until then both `,` and `;` count. */
  delimiter: number | null = null;

  constructor(
    offset: number,
    nextLine: number,
    private readonly maxRecordBytes: number,
  ) {
    this.recordStart = offset;
    this.nextLine = nextLine;
  }

  /** Bytes consumed into complete records so far: where a restart would resume. */
  get offset(): number {
    return this.recordStart;
  }

  /** Line number the next record starts on. */
  get line(): number {
    return this.nextLine;
  }

  /** Bytes held for an incomplete trailing record. */
  get heldBytes(): number {
    return this.pendingLength;
  }

  private isDelimiter(byte: number): boolean {
    return this.delimiter === null ? byte === 0x2c || byte === 0x3b : byte === this.delimiter;
  }

  /** Feeds the next bytes of the feed; returns the records they complete. */
  push(chunk: Buffer): RawRecord[] {
    const records: RawRecord[] = [];
    let segmentStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      this.scanned++;
      const tooLong = this.scanned - 1 >= this.maxRecordBytes;
      if (byte === LF && (!this.inQuotes || tooLong)) {
        this.append(chunk.subarray(segmentStart, i));
        records.push(this.take(1, true));
        segmentStart = i + 1;
        continue;
      }
      if (byte === LF) this.newlines++;
      if (byte === QUOTE && (this.atFieldStart || this.quotedField)) {
        // In a quoted field every quote toggles: `""` closes and reopens, i.e. stays inside.
        this.quotedField = true;
        this.inQuotes = !this.inQuotes;
        this.atFieldStart = false;
      } else if (!this.inQuotes) {
        this.atFieldStart = this.isDelimiter(byte);
        if (this.atFieldStart) this.quotedField = false;
      }
    }
    this.append(chunk.subarray(segmentStart));
    return records;
  }

  /** Takes the held trailing record as complete (the source is a finished snapshot, or has gone quiet). */
  flush(): RawRecord | undefined {
    if (this.scanned === 0) return undefined;
    return this.take(0, false);
  }

  /** The held trailing record as {@link flush} would return it, without taking it. */
  peek(): RawRecord | undefined {
    if (this.scanned === 0) return undefined;
    const bytes = Buffer.concat(this.pending, this.keptLength);
    const tooLong = this.pendingLength > this.maxRecordBytes;
    return {
      bytes: tooLong ? bytes.subarray(0, this.maxRecordBytes) : bytes,
      start: this.recordStart,
      end: this.recordStart + this.pendingLength,
      line: this.nextLine,
      lines: this.newlines + 1,
      terminated: false,
      tooLong,
      length: this.pendingLength,
    };
  }

  private append(segment: Buffer): void {
    if (segment.length === 0) return;
    this.pendingLength += segment.length;
    const room = this.maxRecordBytes + 1 - this.keptLength; // +1: keep a CR that may precede the LF
    if (room > 0) {
      const kept = segment.subarray(0, room);
      this.pending.push(kept);
      this.keptLength += kept.length;
    }
  }

  private take(terminatorBytes: number, terminated: boolean): RawRecord {
    let bytes = Buffer.concat(this.pending, this.keptLength);
    let length = this.pendingLength;
    if (terminated && length > 0 && bytes[bytes.length - 1] === CR && bytes.length === length) {
      bytes = bytes.subarray(0, bytes.length - 1);
      length--;
      terminatorBytes++;
    }
    const tooLong = length > this.maxRecordBytes;
    if (tooLong) bytes = bytes.subarray(0, this.maxRecordBytes);
    const record: RawRecord = {
      bytes,
      start: this.recordStart,
      end: this.recordStart + length + terminatorBytes,
      line: this.nextLine,
      lines: this.newlines + 1,
      terminated,
      tooLong,
      length,
    };
    this.recordStart = record.end;
    this.nextLine += record.lines;
    this.pending = [];
    this.pendingLength = 0;
    this.keptLength = 0;
    this.inQuotes = false;
    this.quotedField = false;
    this.atFieldStart = true;
    this.newlines = 0;
    this.scanned = 0;
    return record;
  }
}
