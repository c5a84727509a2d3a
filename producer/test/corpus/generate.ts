/**
 * The big hostile feeds of the bad-input corpus (see README.md here), generated at test time so that no
 * megabyte file is committed. Deterministic: the same bytes and the same expectations on every run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../../src/sale-simulator.ts';

/** What one line (CSV record) of a feed must become. `reason` is a substring of the rejection's reason. */
export interface RejectedLine {
  line: number;
  reason: string;
}

/** A hostile feed and its expected outcome, line by line. */
export interface CorpusCase {
  /** Short name, part of the feed id. */
  name: string;
  /** Absolute path of the feed file. */
  file: string;
  /** Whether line 1 is taken as the header (then it is neither a sale nor a rejected row). */
  headerAccepted: boolean;
  /** Line numbers (where the record starts) that become sales. */
  sales: number[];
  /** Records that become rejected rows, with the gist of their reason. */
  rejected: RejectedLine[];
  /**
   * When set, the records are not all listed: every record not in `sales` or `rejected` is a rejected
   * row whose reason contains this (binary garbage, whose record boundaries depend on the random bytes).
   */
  otherRejected?: string;
}

/** The producer's default MAX_LINE_BYTES. */
export const MAX_LINE_BYTES = 65_536;
export const SALES_HEADER = 'Date,ID Référence produit,Quantité,ID Magasin';
const MIB = 1024 * 1024;

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** Physical lines of a feed: LF-terminated lines, plus an unterminated last one. An empty file has none. */
export function physicalLines(bytes: Buffer): number {
  let count = 0;
  for (const byte of bytes) if (byte === 0x0a) count++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? count + 1 : count;
}

/**
 * The documented rule for a record that runs past MAX_LINE_BYTES (e.g. a quote never closed): it ends at
 * the first newline at or after MAX_LINE_BYTES bytes from its start, whatever the quotes. Returns the
 * physical lines it spans.
 */
function runawayRecordSpan(bytes: Buffer, start: number): number {
  const end = bytes.indexOf(0x0a, start + MAX_LINE_BYTES);
  return physicalLines(bytes.subarray(start, end + 1));
}

/** Builds a feed line by line, tracking line numbers and what each line must become. */
class FeedBuilder {
  private readonly parts: Buffer[] = [];
  private length = 0;
  private nextLine = 1;
  readonly sales: number[] = [];
  readonly rejected: RejectedLine[] = [];

  /** Appends one physical line (and its CRLF unless `last`); returns its line number. */
  line(content: string | Buffer, last = false): number {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    this.parts.push(bytes);
    if (!last) this.parts.push(Buffer.from('\r\n'));
    this.length += bytes.length + (last ? 0 : 2);
    return this.nextLine++;
  }

  sale(content: string, last = false): void {
    this.sales.push(this.line(content, last));
  }

  reject(content: string | Buffer, reason: string, last = false): void {
    this.rejected.push({ line: this.line(content, last), reason });
  }

  /** Bytes written so far. */
  get offset(): number {
    return this.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const sale = (day: number, product: number, quantity: number, store: number) =>
  `2023-06-${String(day).padStart(2, '0')},REF00${product},${quantity},${store}`;

/** A 1 MiB line between two sales, then a quote never closed that runs past the line limit. */
function longLine(): { bytes: Buffer; expected: Omit<CorpusCase, 'name' | 'file'> } {
  const feed = new FeedBuilder();
  feed.line(SALES_HEADER);
  feed.sale(sale(1, 1, 5, 1));
  const long = `${sale(2, 2, 3, 2)}${'9'.repeat(MIB)}`;
  feed.reject(long, `line longer than ${MAX_LINE_BYTES} bytes (${long.length + 1} bytes)`); // + its CR, see README
  feed.sale(sale(3, 3, 1, 3));
  // Line 5 opens a quote that is never closed: it swallows the following lines until it has run past
  // MAX_LINE_BYTES, then ends at the next newline; the lines after it are read normally.
  const runawayStart = feed.offset;
  feed.reject(`2023-06-04,"REF004,2,4`, `line longer than ${MAX_LINE_BYTES} bytes`);
  const swallowed = Math.ceil(MAX_LINE_BYTES / 23) + 200;
  for (let i = 0; i < swallowed; i++) feed.line(sale(5, 5, 1, 5));
  const bytes = feed.bytes();
  const span = runawayRecordSpan(bytes, runawayStart);
  const firstAfter = 5 + span;
  const lastLine = 5 + swallowed;
  for (let line = firstAfter; line <= lastLine; line++) feed.sales.push(line);
  return { bytes, expected: { headerAccepted: true, sales: feed.sales, rejected: feed.rejected } };
}

/** A data row of 10,000 fields under the client's 4-column header. */
function wideRow() {
  const feed = new FeedBuilder();
  feed.line(SALES_HEADER);
  feed.sale(sale(1, 1, 5, 1));
  feed.reject(`${sale(2, 2, 3, 2)}${',x'.repeat(9_996)}`, 'expected 4 fields, found 10000');
  feed.sale(sale(3, 3, 1, 3), true);
  return {
    bytes: feed.bytes(),
    expected: { headerAccepted: true, sales: feed.sales, rejected: feed.rejected },
  };
}

/** A spreadsheet export with 9,996 empty trailing columns: rows of 10,000 fields are sales. */
function wideHeader() {
  const feed = new FeedBuilder();
  feed.line(`${SALES_HEADER}${','.repeat(9_996)}`);
  feed.sale(`${sale(1, 1, 5, 1)}${','.repeat(9_996)}`);
  feed.reject(sale(2, 2, 3, 2), 'expected 10000 fields, found 4');
  feed.sale(`${sale(3, 3, 1, 3)}${','.repeat(9_996)}`, true);
  return {
    bytes: feed.bytes(),
    expected: { headerAccepted: true, sales: feed.sales, rejected: feed.rejected },
  };
}

/** A header of 10,000 unknown columns (under the line limit): the whole feed is refused. */
function wideJunkHeader() {
  const feed = new FeedBuilder();
  feed.reject(
    Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(','),
    'invalid header: header of a sales feed lacks column(s) date, product_id, quantity, store_id',
  );
  feed.reject(sale(1, 1, 5, 1), "the feed's header is invalid");
  feed.reject(sale(2, 2, 3, 2), "the feed's header is invalid", true);
  return {
    bytes: feed.bytes(),
    expected: { headerAccepted: false, sales: feed.sales, rejected: feed.rejected },
  };
}

/**
 * A header of 10,000 columns longer than the line limit, the right columns first: it cannot be read
 * whole, so the feed is refused rather than read with a header cut short.
 */
function longHeader() {
  const feed = new FeedBuilder();
  const extra = Array.from({ length: 9_996 }, (_, i) => `,colonne_${String(i).padStart(5, '0')}`).join('');
  feed.reject(
    `${SALES_HEADER}${extra}`,
    `invalid header: the header line is longer than ${MAX_LINE_BYTES} bytes`,
  );
  feed.reject(`${sale(1, 1, 5, 1)}${',x'.repeat(9_996)}`, "the feed's header is invalid");
  feed.reject(sale(2, 2, 3, 2), "the feed's header is invalid", true);
  return {
    bytes: feed.bytes(),
    expected: { headerAccepted: false, sales: feed.sales, rejected: feed.rejected },
  };
}

/** 256 KiB of random bytes: no header, every record refused. */
function garbage() {
  const bytes = randomBytes(seededRandom(0x5eed), 256 * 1024);
  return {
    bytes,
    expected: {
      headerAccepted: false,
      sales: [],
      rejected: [{ line: 1, reason: 'invalid header: the header line is not valid UTF-8' }],
      otherRejected: "the feed's header is invalid (the header line is not valid UTF-8)",
    },
  };
}

/**
 * A valid header, then 2,000 lines of random bytes (NUL, CR, control bytes; never a newline or a quote,
 * always at least one byte that is invalid UTF-8), with a sale before and after them.
 */
function garbageRows() {
  const random = seededRandom(0xbad);
  const feed = new FeedBuilder();
  feed.line(SALES_HEADER);
  feed.sale(sale(1, 1, 5, 1));
  for (let i = 0; i < 2_000; i++) {
    const bytes = randomBytes(random, 1 + Math.floor(random() * 400));
    for (let j = 0; j < bytes.length; j++) if (bytes[j] === 0x0a || bytes[j] === 0x22) bytes[j] = 0x00;
    bytes[Math.floor(random() * bytes.length)] = 0xff;
    feed.reject(bytes, 'invalid UTF-8');
  }
  feed.sale(sale(2, 2, 3, 2), true);
  return {
    bytes: feed.bytes(),
    expected: { headerAccepted: true, sales: feed.sales, rejected: feed.rejected },
  };
}

const GENERATORS: Record<string, () => { bytes: Buffer; expected: Omit<CorpusCase, 'name' | 'file'> }> = {
  'long-line': longLine,
  'wide-row': wideRow,
  'wide-header': wideHeader,
  'wide-junk-header': wideJunkHeader,
  'long-header': longHeader,
  garbage,
  'garbage-rows': garbageRows,
};

/** Writes the generated feeds into `dir` and returns them with their expectations. */
export function generateCorpus(dir: string): CorpusCase[] {
  return Object.entries(GENERATORS).map(([name, generate]) => {
    const { bytes, expected } = generate();
    const file = path.join(dir, `${name}.csv`);
    fs.writeFileSync(file, bytes);
    return { name, file, ...expected };
  });
}
