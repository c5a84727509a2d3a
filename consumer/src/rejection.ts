import type { DeadLetter } from '@sales-pipeline/platform';

/** A row that did not become a record: a producer dead letter, or a message refused here. */
export interface Rejection {
  stage: 'producer' | 'consumer';
  feed: string | null;
  line: number | null;
  raw: string;
  reason: string;
  topic: string;
  partition: number;
  offset: bigint;
  /** The raw bytes exactly (the text above is lossy: invalid UTF-8 and NUL replaced), when known. */
  rawBytes: Buffer | null;
  /** The refused message's key and headers, kept so that `dlq replay` re-sends it whole. */
  key?: Buffer | null;
  headers?: Record<string, string[]>;
}

/** A Kafka message's headers as stored with a rejection: each value base64, repeated names kept. */
export function storedHeaders(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
): Record<string, string[]> {
  const stored: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    stored[name] = (Array.isArray(value) ? value : [value]).map((v) => Buffer.from(v).toString('base64'));
  }
  return stored;
}

/** The exact bytes of a dead letter's line: its base64 when it had to be kept so, else its text. */
export function deadLetterBytes(letter: DeadLetter): Buffer {
  return letter.raw_base64 !== null
    ? Buffer.from(letter.raw_base64, 'base64')
    : Buffer.from(letter.raw, 'utf8');
}

/** A producer dead letter as a rejection, with the message it came in. */
export function rejectionFromDeadLetter(
  letter: DeadLetter,
  topic: string,
  partition: number,
  offset: bigint,
): Rejection {
  return {
    stage: letter.stage,
    feed: letter.feed,
    line: letter.line,
    raw: letter.raw,
    rawBytes: deadLetterBytes(letter),
    reason: letter.reason,
    topic,
    partition,
    offset,
  };
}
