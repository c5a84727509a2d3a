import type { DeadLetter } from '@sales-pipeline/platform';
import type { RawRecord } from '../parse/record-splitter.ts';
import { lossyUtf8, strictUtf8 } from '../parse/utf8.ts';

/**
 * The dead letter of a feed record: its line and text, and its exact bytes in base64 when the text
 * cannot hold them (invalid UTF-8, or a line cut because it was too long).
 */
export function recordDeadLetter(
  record: RawRecord,
  feed: string,
  reason: string,
  detectedAt: Date,
): DeadLetter {
  const valid = strictUtf8(record.bytes) !== undefined;
  return {
    stage: 'producer',
    feed,
    line: record.line,
    raw: lossyUtf8(record.bytes),
    raw_base64: valid && !record.tooLong ? null : record.bytes.toString('base64'),
    reason,
    detected_at: detectedAt.toISOString(),
  };
}
