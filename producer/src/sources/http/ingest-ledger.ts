import type { Kafka, Message } from 'kafkajs';
import { LINE_SEEN_AT_HEADER, type DeadLetter, type Logger } from '@sales-pipeline/platform';
import type { IngestBatch } from './ingest-request.ts';
import { LedgerTable } from './ledger-table.ts';

/** What a sale posted over HTTP is, as stored: its content hash and its `rev` (1, then one more a change). */
export interface LedgerEntry {
  hash: string;
  rev: number;
}

/** What one request gets back. */
export interface IngestResult {
  accepted: number;
  /** Of the accepted, sales that replaced an earlier version of the same id. */
  amended: number;
  duplicates: number;
  rejected: Array<{ index: number; id: string | null; reason: string }>;
}

/** The Kafka messages of a group of requests, the ledger updates they make, and each request's result. */
export interface LedgerPlan {
  messages: Map<string, Message[]>;
  updates: Map<string, LedgerEntry>;
  results: IngestResult[];
}

export interface LedgerTopics {
  sales: string;
  deadLetter: string;
  state: string;
}

/**
 * Every sale accepted over HTTP, by sale id (`<source>/id/<id>`): its content hash and `rev`. Kept in the
 * compacted topic INGEST_STATE_TOPIC, written in the same Kafka transaction as the sales, so that after
 * a `kill -9` a retried request finds exactly what was committed: the same values are a duplicate, other
 * values an amendment (the next `rev`), never a second sale.
 */
export class IngestLedger {
  /** By sale id: about 48 bits of its content hash ({@link contentDigest}) and its rev, outside the heap. */
  private readonly table = new LedgerTable();

  get size(): number {
    return this.table.size;
  }

  /** Bytes the ledger holds outside the V8 heap. */
  get bytes(): number {
    return this.table.bytes;
  }

  private set(saleId: string, entry: LedgerEntry): void {
    this.table.set(saleId, { digest: contentDigest(entry.hash), rev: entry.rev });
  }

  /**
   * Plans the requests in order, against the ledger and the earlier requests of the group. Pure: the
   * ledger moves only with {@link apply}, once the transaction is committed.
   */
  plan(batches: IngestBatch[], topics: LedgerTopics, receivedAt: number): LedgerPlan {
    const messages = new Map<string, Message[]>();
    const add = (topic: string, message: Message) => {
      const list = messages.get(topic);
      if (list) list.push(message);
      else messages.set(topic, [message]);
    };
    const updates = new Map<string, LedgerEntry>();
    const detectedAt = new Date(receivedAt).toISOString();
    const results = batches.map((batch) => {
      const result: IngestResult = {
        accepted: 0,
        amended: 0,
        duplicates: 0,
        rejected: batch.rejected.map(({ index, id, reason }) => ({ index, id, reason })),
      };
      for (const rejection of batch.rejected) {
        const letter: DeadLetter = {
          stage: 'producer',
          feed: batch.source,
          line: rejection.index + 1,
          raw: rejection.raw.slice(0, 65_536),
          raw_base64: null,
          reason: `HTTP sale #${rejection.index}${rejection.id ? ` (id ${rejection.id})` : ''}: ${rejection.reason}`,
          detected_at: detectedAt,
        };
        add(topics.deadLetter, {
          key: `${batch.source}/http/${rejection.id ?? `#${rejection.index}`}`,
          value: JSON.stringify(letter),
        });
      }
      for (const sale of batch.sales) {
        const planned = updates.get(sale.saleId);
        const known = planned
          ? { digest: contentDigest(planned.hash), rev: planned.rev }
          : this.table.get(sale.saleId);
        if (known?.digest === contentDigest(sale.hash)) {
          result.duplicates++;
          continue;
        }
        const entry = { hash: sale.hash, rev: (known?.rev ?? 0) + 1 };
        updates.set(sale.saleId, entry);
        add(topics.sales, {
          key: sale.saleId,
          value: JSON.stringify({ ...sale.value, rev: entry.rev }),
          headers: { [LINE_SEEN_AT_HEADER]: String(receivedAt) },
        });
        add(topics.state, { key: sale.saleId, value: JSON.stringify({ h: entry.hash, r: entry.rev }) });
        result.accepted++;
        if (known) result.amended++;
      }
      return result;
    });
    return { messages, updates, results };
  }

  /** The updates of a committed transaction. */
  apply(updates: Map<string, LedgerEntry>): void {
    for (const [saleId, entry] of updates) this.set(saleId, entry);
  }

  /**
   * The ledger as committed: the state topic read from its beginning to its end offsets (read_committed,
   * with a throwaway consumer group), the last value of each sale id winning.
   */
  static async load(kafka: Kafka, topic: string, logger: Logger, timeoutMs = 120_000): Promise<IngestLedger> {
    const ledger = new IngestLedger();
    const admin = kafka.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    try {
      ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
    } finally {
      await admin.disconnect();
    }
    const reached = new Map<number, bigint>();
    const done = () => [...ends].every(([p, end]) => (reached.get(p) ?? 0n) >= end);
    if (done()) return ledger;
    const consumer = kafka.consumer({
      groupId: `sales-pipeline.ingest.ledger-reader.${process.pid}.${Date.now()}`,
      readUncommitted: false,
      maxWaitTimeInMs: 200,
    });
    let failure: Error | undefined;
    consumer.on(consumer.events.CRASH, ({ payload }) => (failure = payload.error));
    // Also for a fetch of transaction markers only: the position moves past them.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const next = BigInt(payload.lastOffset) + 1n;
      if (next > (reached.get(payload.partition) ?? 0n)) reached.set(payload.partition, next);
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const key = message.key?.toString();
            if (!key || BigInt(message.offset) >= (ends.get(batch.partition) ?? 0n)) continue;
            if (!message.value) {
              ledger.table.delete(key);
              continue;
            }
            const { h, r } = JSON.parse(message.value.toString()) as { h: string; r: number };
            ledger.set(key, { hash: h, rev: r });
          }
        },
      });
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (failure) throw failure;
        if (Date.now() > deadline)
          throw new Error(`the ingest ledger ${topic} was not read to its end in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await consumer.disconnect();
    }
    logger.info({ sales: ledger.size, bytes: ledger.bytes }, 'ingest ledger loaded');
    return ledger;
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * About 48 bits of a sale's content hash (`r` and base64url, see lineHash) as a number: its first eight
 * characters after the kind, one base-65 digit each (below 2^53: exact). Another hash form (never a sale's) is read from its first eight characters all
 * the same, a character outside base64url counting as 64. Pure.
 */
export function contentDigest(hash: string): number {
  let digest = 0;
  for (let i = 1; i <= 8; i++) {
    const value = BASE64URL.indexOf(hash.charAt(i));
    digest = digest * 65 + (value < 0 ? 64 : value);
  }
  return digest;
}
