import type { Kafka, Message } from 'kafkajs';
import { LINE_SEEN_AT_HEADER, type DeadLetter, type Logger } from '@sales-pipeline/platform';
import type { IngestBatch } from './ingest-request.ts';
import { LedgerTable, type LedgerSlot } from './ledger-table.ts';

/**
 * What a sale posted over HTTP is, as stored: its content hash and its `rev`, the time (ms) its version was
 * planned for commit, kept above every rev the ledger issued or read back (a clock set back, a request
 * that waited) and above the version before.
 */
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

/** How many of the latest sales the ledger remembers by default (INGEST_LEDGER_SALES). */
export const DEFAULT_LEDGER_SALES = 100_000;

/**
 * The latest sales accepted over HTTP, by sale id (`<source>/http/<id>`): their content hash and `rev`.
 * Kept in the compacted topic INGEST_STATE_TOPIC, written in the same Kafka transaction as the sales, so
 * that after a `kill -9` a retried request finds exactly what was committed: the same values are a
 * duplicate, other values an amendment (a higher `rev`), never a second sale.
 *
 * Bounded: it remembers at least the last `remembers` sales (two generations of that many; when the
 * newer is full, the older is forgotten). A sale it has forgotten, posted again, is published again with
 * a higher `rev` (issued now, above every rev issued before): the consumer replaces the stored sale with
 * it, so it is still one sale, counted once, and the version committed last wins, as for a sale it
 * remembers; only the answer counts it as accepted, not as a duplicate.
 */
export class IngestLedger {
  /** By sale id: about 48 bits of its content hash ({@link contentDigest}) and its rev, outside the heap. */
  private current: LedgerTable;
  private previous: LedgerTable;
  /** The highest rev issued or read back: every new rev is above it. */
  private lastRev = 0;

  constructor(readonly remembers = DEFAULT_LEDGER_SALES) {
    if (!Number.isInteger(remembers) || remembers < 1)
      throw new RangeError(`the ledger remembers at least one sale, not ${remembers}`);
    this.current = LedgerTable.sized(remembers);
    this.previous = LedgerTable.sized(remembers);
  }

  /** Sales remembered (a sale in both generations counts twice). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** Bytes the ledger holds outside the V8 heap: fixed from the start. */
  get bytes(): number {
    return this.current.bytes + this.previous.bytes;
  }

  private get(saleId: string): LedgerSlot | undefined {
    return this.current.get(saleId) ?? this.previous.get(saleId);
  }

  private set(saleId: string, entry: LedgerEntry): void {
    if (this.current.size >= this.remembers) {
      const forgotten = this.previous;
      this.previous = this.current;
      forgotten.clear();
      this.current = forgotten;
    }
    this.current.set(saleId, { digest: contentDigest(entry.hash), rev: entry.rev });
    if (entry.rev > this.lastRev) this.lastRev = entry.rev;
  }

  private delete(saleId: string): void {
    this.current.delete(saleId);
    this.previous.delete(saleId);
  }

  /**
   * Plans the requests in order, against the ledger and the earlier requests of the group, at `now` (the
   * clock; the revs it issues are above it or above the last rev issued). Pure: the ledger moves only with
   * {@link apply}, once the transaction is committed.
   */
  plan(batches: IngestBatch[], topics: LedgerTopics, receivedAt: number, now = Date.now()): LedgerPlan {
    const issued = Math.max(now, this.lastRev + 1);
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
          : this.get(sale.saleId);
        if (known?.digest === contentDigest(sale.hash)) {
          result.duplicates++;
          continue;
        }
        // Above every rev issued before, so that a sale the ledger has forgotten still gets a rev above
        // the one stored, whenever its request arrived.
        const entry = { hash: sale.hash, rev: Math.max(issued, (known?.rev ?? 0) + 1) };
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
   * The ledger as committed: the last `2 × remembers` offsets of each partition of the state topic (its
   * sales and the transactions' markers: at least `remembers` sales when each transaction committed a new
   * sale; fewer when aborted transactions or versions of the same sales took offsets), read to their end offsets
   * (read_committed, with a throwaway consumer group), the last value of each sale id winning.
   */
  static async load(
    kafka: Kafka,
    topic: string,
    logger: Logger,
    remembers = DEFAULT_LEDGER_SALES,
    timeoutMs = 120_000,
  ): Promise<IngestLedger> {
    const ledger = new IngestLedger(remembers);
    const groupId = `sales-pipeline.ingest.ledger-reader.${process.pid}.${Date.now()}`;
    const reached = new Map<number, bigint>();
    let ends = new Map<number, bigint>();
    let read = 0;
    const done = () => [...ends].every(([p, end]) => (reached.get(p) ?? 0n) >= end);
    const admin = kafka.admin();
    await admin.connect();
    let grouped = false;
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
      const starts = offsets.map((o) => {
        const tail = BigInt(o.high) - 2n * BigInt(remembers);
        const start = tail > BigInt(o.low) ? tail : BigInt(o.low);
        reached.set(o.partition, start);
        return { partition: o.partition, offset: String(start) };
      });
      if (done()) return ledger;
      // The throwaway group starts where the tail does; a group with no members takes offsets.
      grouped = true;
      await admin.setOffsets({ groupId, topic, partitions: starts });
      const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
      let failure: Error | undefined;
      consumer.on(consumer.events.CRASH, ({ payload }) => (failure = payload.error));
      // Also for a fetch of transaction markers only: the position moves past them.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const next = BigInt(payload.lastOffset) + 1n;
        if (next > (reached.get(payload.partition) ?? 0n)) reached.set(payload.partition, next);
      });
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const key = message.key?.toString();
              if (!key || BigInt(message.offset) >= (ends.get(batch.partition) ?? 0n)) continue;
              read++;
              if (!message.value) {
                ledger.delete(key);
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
    } finally {
      // The reader's offsets would stay for the broker's retention otherwise.
      if (grouped)
        await admin
          .deleteGroups([groupId])
          .catch((error: unknown) =>
            logger.debug(
              { groupId, err: error },
              'the ledger reader group was not deleted; the broker expires it',
            ),
          );
      await admin.disconnect().catch(() => undefined);
    }
    logger.info({ sales: ledger.size, read, bytes: ledger.bytes }, 'ingest ledger loaded');
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
