import type { DeadLetter } from '@sales-pipeline/platform';
import type { RawRecord } from './record-splitter.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');

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
  let valid = true;
  try {
    utf8.decode(record.bytes);
  } catch {
    valid = false;
  }
  return {
    stage: 'producer',
    feed,
    line: record.line,
    raw: lossy.decode(record.bytes),
    raw_base64: valid && !record.tooLong ? null : record.bytes.toString('base64'),
    reason,
    detected_at: detectedAt.toISOString(),
  };
}
