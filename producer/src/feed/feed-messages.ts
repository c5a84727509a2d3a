import type { Message } from 'kafkajs';
import {
  LINE_SEEN_AT_HEADER,
  type DeadLetter,
  type SaleCancellation,
  type SaleMessage,
} from '@sales-pipeline/platform';
import type { FeedOutput } from '../parse/feed-parser.ts';
import type { ParsedRow } from '../parse/parse-row.ts';
import type { TopicMessages } from '../publish/kafka-publisher.ts';

/** The topics a feed publishes to: its rows by kind, and the dead letters. */
export interface FeedTopics {
  sales: string;
  products: string;
  stores: string;
  deadLetter: string;
}

/** On a chunk of sales: how many sales it holds. */
export const CHUNK_SALES_HEADER = 'chunk-sales';
/** On a chunk of sales: the id of its last sale. */
export const CHUNK_LAST_SALE_HEADER = 'chunk-last-sale';

/**
 * One message for several sales of a backfill (`{"op":"chunk","sales":[…]}`), keyed by its first sale's
 * id: the consumer stores them in one go and Debezium captures the chunk, not each row
 * (db/migrations/…027_bulk-history.sql).
 */
function chunkMessage(sales: SaleMessage[], seenAt: number): Message {
  const first = sales[0] as SaleMessage;
  const last = sales[sales.length - 1] as SaleMessage;
  return {
    key: first.sale_id,
    value: JSON.stringify({ op: 'chunk', sales }),
    headers: {
      [LINE_SEEN_AT_HEADER]: String(seenAt),
      [CHUNK_SALES_HEADER]: String(sales.length),
      [CHUNK_LAST_SALE_HEADER]: last.sale_id,
    },
  };
}

/**
 * The Kafka messages of a step's outputs, by topic: each row to its kind's topic with the time its line
 * was seen, each dead letter to the dead-letter topic keyed by feed, generation and line. Headers
 * become no message. With `chunkSales`, sales without an id of their own go out in chunks of that many
 * (a backfill's history), the other rows one message each.
 */
export function feedMessages(
  outputs: FeedOutput[],
  seenAt: number,
  topics: FeedTopics,
  generation: number,
  /** Gives the next `rev` of the feed: set when its sales have their own ids (an id column). */
  nextRev?: () => number,
  chunkSales = 0,
): TopicMessages {
  const messages: TopicMessages = new Map();
  const add = (topic: string, message: Message) => {
    const list = messages.get(topic);
    if (list) list.push(message);
    else messages.set(topic, [message]);
  };
  let chunk: SaleMessage[] = [];
  const flushChunk = () => {
    if (chunk.length > 0) add(topics.sales, chunkMessage(chunk, seenAt));
    chunk = [];
  };
  for (const output of outputs) {
    if (output.type === 'dead') {
      const { letter } = output;
      add(topics.deadLetter, {
        key: `${letter.feed}/${generation}/${letter.line ?? 0}`,
        value: JSON.stringify(letter),
      });
    } else if (output.type === 'row') {
      const { row } = output;
      if (row.kind === 'sales' && row.ownId !== undefined && nextRev) {
        // A sale with its own id: a later line amends it, a line marked cancelled cancels it.
        add(topics.sales, saleChangeMessage(row, nextRev(), undefined, seenAt, output.line));
        continue;
      }
      if (row.kind === 'sales' && chunkSales > 0) {
        chunk.push(row.value);
        if (chunk.length >= chunkSales) flushChunk();
        continue;
      }
      add(topics[row.kind], {
        key: row.key,
        value: JSON.stringify(row.value),
        headers: { [LINE_SEEN_AT_HEADER]: String(seenAt) },
      });
    }
  }
  flushChunk();
  return messages;
}

/**
 * The dead letter that reports a source rewriting rows it had already served (`publishedBytes` of it
 * were published), keyed by the rewritten version's sha256 so that it is reported once.
 */
export function rewriteMessage(
  feed: string,
  body: Buffer,
  publishedBytes: number,
  version: string,
  detectedAt: Date,
): Message {
  const letter: DeadLetter = {
    stage: 'producer',
    feed,
    line: null,
    raw: body.subarray(0, Math.min(body.length, 4096)).toString('utf8'),
    raw_base64: null,
    reason: `source rewrote rows already published (the first ${publishedBytes} bytes changed); version sha256 ${version}`,
    detected_at: detectedAt.toISOString(),
  };
  return { key: `${feed}/rewrite/${version.slice(0, 16)}`, value: JSON.stringify(letter) };
}

type SaleRow = Extract<ParsedRow, { kind: 'sales' }>;

/**
 * The message of a versioned sale: the sale with its `rev` (and feed version) under `saleId` (by default
 * the row's own), or its cancellation when the row is marked cancelled or `cancel` is set.
 */
export function saleChangeMessage(
  row: SaleRow,
  rev: number,
  version: number | undefined,
  seenAt: number,
  line: number,
  saleId: string = row.key,
): Message {
  const headers = { [LINE_SEEN_AT_HEADER]: String(seenAt) };
  if (row.cancelled) {
    return {
      key: saleId,
      value: JSON.stringify(cancellation(saleId, row.value.feed, rev, version, line)),
      headers,
    };
  }
  const value = { ...row.value, sale_id: saleId, line, rev, ...(version === undefined ? {} : { version }) };
  return { key: saleId, value: JSON.stringify(value), headers };
}

/** A sale's cancellation (`line`: the line that cancelled it, null when its line disappeared). */
export function cancellation(
  saleId: string,
  feed: string,
  rev: number,
  version: number | undefined,
  line: number | null,
): SaleCancellation {
  return { op: 'cancel', sale_id: saleId, feed, rev, ...(version === undefined ? {} : { version }), line };
}
