import { parse } from 'csv-parse/sync';

/** The fields of one CSV record, or why they could not be read. */
export type FieldsResult = { ok: true; fields: string[] } | { ok: false; reason: string };

/**
 * Splits one record's text into fields with csv-parse: quoted fields, doubled quotes, separators and
 * newlines inside quotes. A quote in the middle of an unquoted value is kept as a character.
 */
export function parseFields(text: string, delimiter: string): FieldsResult {
  // Without a quote, a record is its fields joined by the separator: split it, which is what csv-parse
  // would return, at a fraction of the cost of setting up a parser per record (the common case).
  if (!text.includes('"')) return { ok: true, fields: text.split(delimiter) };
  try {
    const records = parse(text, {
      delimiter,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: false,
      record_delimiter: ['\r\n', '\n'],
    }) as string[][];
    if (records.length !== 1 || !records[0]) return { ok: false, reason: 'malformed CSV record' };
    return { ok: true, fields: records[0] };
  } catch (error) {
    // csv-parse counts lines from the start of this record, not of the feed: its message would mislead.
    if ((error as { code?: unknown }).code === 'CSV_QUOTE_NOT_CLOSED')
      return { ok: false, reason: 'unterminated quoted field: a quote opens a field and is never closed' };
    return { ok: false, reason: `malformed CSV: ${(error as Error).message.split('\n')[0]}` };
  }
}
