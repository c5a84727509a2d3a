import { parseFields } from './csv-fields.ts';
import { detectDelimiter, matchHeader, type ColumnMap, type FeedKind } from './header.ts';
import type { RawRecord } from './record-splitter.ts';
import { lossyUtf8, strictUtf8 } from './utf8.ts';

/** A feed's header as accepted: where each column is, how many there are, and the delimiter. */
export interface FeedHeader {
  columns: ColumnMap;
  width: number;
  delimiter: string;
}

/** A refused header: why, and the header line as found (cut at 200 characters). */
export interface RefusedHeader {
  error: string;
  found: string;
}

/**
 * Reads a feed's first record as the header of a `kind` feed: decodes it (a byte-order mark dropped),
 * detects its delimiter and matches its columns. A line cut at `maxRecordBytes`, invalid UTF-8 or
 * columns that do not match are refused, with the reason.
 */
export function readHeader(
  record: RawRecord,
  kind: FeedKind,
  maxRecordBytes: number,
  extraAliases: Record<string, string | undefined> = {},
): FeedHeader | RefusedHeader {
  const found = lossyUtf8(record.bytes.subarray(0, 800))
    .replace(/^\uFEFF/, '')
    .replace(/\r$/, '')
    .slice(0, 200);
  if (record.tooLong) {
    // Only its beginning was kept: matching that would give the feed a header cut short.
    return {
      error: `the header line is longer than ${maxRecordBytes} bytes (${record.length} bytes)`,
      found,
    };
  }
  const text = strictUtf8(record.bytes)?.replace(/^\uFEFF/, '');
  if (text === undefined) return { error: 'the header line is not valid UTF-8', found };
  const delimiter = detectDelimiter(text);
  const fields = parseFields(text, delimiter);
  const match = fields.ok ? matchHeader(kind, fields.fields, extraAliases) : fields;
  if (!match.ok) return { error: match.reason, found };
  return { columns: match.columns, width: match.width, delimiter };
}
