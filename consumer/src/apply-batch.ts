import type { KafkaMessage } from 'kafkajs';
import {
  LINE_SEEN_AT_HEADER,
  applyExactlyOnce,
  isRetriableDbError,
  type Pool,
  type PoolClient,
} from '@sales-pipeline/platform';
import { decodeMessage, lastByKey, type Decoded, type TopicKinds } from './decode-message.ts';
import { feedGrowth, type FeedGrowth } from './feed-growth.ts';
import { insertRejections, insertSales, recordChunks, upsertProducts, upsertStores } from './pg-writer.ts';
import { rejectionFromDeadLetter, storedHeaders, type Rejection } from './rejection.ts';
import { applyFeedNotices, applySaleChanges, type SaleChange } from './sale-changes.ts';

export interface AppliedCounts {
  salesInserted: number;
  /** Sales of versioned feeds inserted or replaced by a newer version, and sales cancelled. */
  salesChanged: number;
  referencesUpserted: number;
  pendingCompleted: number;
  rejected: number;
  /** Messages already applied before (a replay), skipped by the stored offset. */
  skipped: number;
}

export interface BatchResult extends AppliedCounts {
  /** Offset to resume from, when the batch moved it. */
  nextOffset: bigint | undefined;
  /** `line-seen-at` of each sale inserted, for the line → row latency. */
  seenAt: number[];
  /** How much each feed grew in the batch (for the stale feed watch). */
  growth: Map<string, FeedGrowth>;
}

const empty = (): AppliedCounts => ({
  salesInserted: 0,
  salesChanged: 0,
  referencesUpserted: 0,
  pendingCompleted: 0,
  rejected: 0,
  skipped: 0,
});

/** Where the batch's messages come from: a rejection records their topic, partition, key and headers. */
interface BatchContext {
  client: PoolClient;
  topic: string;
  partition: number;
  /** The key and headers of the batch's messages by offset: a rejection keeps those of its message. */
  origins: Map<bigint, Pick<Rejection, 'key' | 'headers'>>;
}

/** A message refused here (not a producer dead letter), recorded with where it came from. */
function consumerRejection(
  ctx: BatchContext,
  offset: bigint,
  fields: Pick<Rejection, 'feed' | 'line' | 'raw' | 'rawBytes' | 'reason'>,
): Rejection {
  const { topic, partition, origins } = ctx;
  return { stage: 'consumer', ...fields, topic, partition, offset, ...origins.get(offset) };
}

async function applyDecoded(ctx: BatchContext, decoded: Decoded[]): Promise<AppliedCounts> {
  const { client, topic, partition } = ctx;
  const counts = empty();
  // Append-only sales are inserted once; sales with versions (a rev) and cancellations replace older
  // versions. A sale's first message always precedes its changes in the partition, so the inserts go first.
  const sales = decoded.flatMap((d) => (d.kind === 'sale' && d.value.rev === undefined ? [d] : []));
  // A chunk's sales are stored in bulk: left out of the change capture, the chunk captured instead.
  const chunks = decoded.flatMap((d) => (d.kind === 'chunk' ? [d] : []));
  const bulk = chunks.flatMap((c) =>
    c.sales.map((value) => ({ value, offset: c.offset, seenAt: c.seenAt, bulk: true })),
  );
  const changes = decoded.flatMap((d): SaleChange[] =>
    d.kind === 'sale' && d.value.rev !== undefined
      ? [{ ...d, value: { ...d.value, rev: d.value.rev } }]
      : d.kind === 'cancel'
        ? [d]
        : [],
  );
  const notices = decoded.flatMap((d) => (d.kind === 'feed-notice' ? [d.value] : []));
  const products = lastByKey(
    decoded.flatMap((d) => (d.kind === 'product' ? [d.value] : [])),
    (p) => p.product_id,
  );
  const stores = lastByKey(
    decoded.flatMap((d) => (d.kind === 'store' ? [d.value] : [])),
    (s) => s.store_id,
  );
  const rejections: Rejection[] = decoded.flatMap((d): Rejection[] => {
    if (d.kind === 'dead-letter') return [rejectionFromDeadLetter(d.value, topic, partition, d.offset)];
    if (d.kind === 'rejected') {
      return [
        consumerRejection(ctx, d.offset, {
          feed: null,
          line: null,
          raw: d.raw,
          rawBytes: d.bytes,
          reason: d.reason,
        }),
      ];
    }
    return [];
  });
  counts.salesInserted = await insertSales(client, [...sales, ...bulk], { topic, partition });
  await recordChunks(client, chunks, { topic, partition });
  const changed = await applySaleChanges(client, changes, { topic, partition });
  counts.salesChanged = changed.upserted + changed.cancelled;
  await applyFeedNotices(client, notices);
  for (const result of [await upsertProducts(client, products), await upsertStores(client, stores)]) {
    counts.referencesUpserted += result.upserted;
    counts.pendingCompleted += result.completed;
  }
  counts.rejected = await insertRejections(client, rejections);
  return counts;
}

/**
 * Applies messages one at a time, each in a savepoint, after the batch as a whole was refused by the
 * database: the message it cannot take is recorded as rejected with the database's reason, the others
 * are applied. A poison message never stops the stream.
 */
async function applyOneByOne(ctx: BatchContext, decoded: Decoded[]): Promise<AppliedCounts> {
  const { client } = ctx;
  const counts = empty();
  for (const item of decoded) {
    await client.query('SAVEPOINT one');
    try {
      const applied = await applyDecoded(ctx, [item]);
      await client.query('RELEASE SAVEPOINT one');
      counts.salesInserted += applied.salesInserted;
      counts.salesChanged += applied.salesChanged;
      counts.referencesUpserted += applied.referencesUpserted;
      counts.pendingCompleted += applied.pendingCompleted;
      counts.rejected += applied.rejected;
    } catch (error) {
      if (isRetriableDbError(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT one');
      const { code, message } = error as { code?: string; message?: string };
      counts.rejected += await insertRejections(client, [
        consumerRejection(ctx, item.offset, {
          feed:
            item.kind === 'sale' || item.kind === 'cancel'
              ? item.value.feed
              : item.kind === 'chunk'
                ? (item.sales[0]?.feed ?? null)
                : null,
          line: item.kind === 'sale' || item.kind === 'cancel' ? item.value.line : null,
          raw:
            item.kind === 'rejected'
              ? item.raw
              : item.kind === 'chunk'
                ? JSON.stringify({ op: 'chunk', sales: item.sales })
                : JSON.stringify(item.value),
          rawBytes: item.kind === 'rejected' ? item.bytes : null,
          reason: `database refused the record: ${code ?? ''} ${message ?? String(error)}`.trim(),
        }),
      ]);
    }
  }
  return counts;
}

/** The database refused the batch as a whole (not a transient error): it is applied one message at a time. */
class BatchRefused extends Error {
  constructor(readonly refusal: unknown) {
    super('the database refused the batch as a whole');
  }
}

/**
 * Applies one partition's batch exactly once (see applyExactlyOnce): decodes the fresh messages and
 * applies them as a whole; when the database refuses the whole, the transaction rolls back and the batch
 * is applied again in a new one, one message at a time. (No savepoint around the whole: two round trips
 * in every batch for a path that poison messages alone take.)
 */
export async function applyBatch(
  pool: Pool,
  options: {
    group: string;
    topics: TopicKinds;
    topic: string;
    partition: number;
    messages: KafkaMessage[];
    signal?: AbortSignal;
    onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  },
): Promise<BatchResult> {
  const { group, topics, topic, partition, messages } = options;
  const apply = (oneByOne: boolean) =>
    applyExactlyOnce(
      pool,
      { group, topic, partition },
      messages,
      async (client, fresh) => {
        const decoded = fresh.map((m) => decodeMessage(topics, topic, m, LINE_SEEN_AT_HEADER));
        const ctx: BatchContext = {
          client,
          topic,
          partition,
          origins: new Map(
            fresh.map((m) => [BigInt(m.offset), { key: m.key, headers: storedHeaders(m.headers) }]),
          ),
        };
        let counts: AppliedCounts;
        if (oneByOne) counts = await applyOneByOne(ctx, decoded);
        else {
          try {
            counts = await applyDecoded(ctx, decoded);
          } catch (error) {
            if (isRetriableDbError(error)) throw error;
            throw new BatchRefused(error);
          }
        }
        const seenAt = decoded.flatMap((d) =>
          d.kind === 'sale' && d.seenAt !== undefined
            ? [d.seenAt]
            : d.kind === 'chunk' && d.seenAt !== undefined
              ? d.sales.map(() => d.seenAt as number)
              : [],
        );
        return { counts, seenAt, growth: feedGrowth(decoded, Date.now()) };
      },
      { signal: options.signal, onRetry: options.onRetry },
    );
  let outcome: Awaited<ReturnType<typeof apply>>;
  try {
    outcome = await apply(false);
  } catch (error) {
    if (!(error instanceof BatchRefused)) throw error;
    outcome = await apply(true);
  }
  return {
    ...(outcome.result?.counts ?? empty()),
    skipped: outcome.skipped,
    nextOffset: outcome.nextOffset,
    seenAt: outcome.result?.seenAt ?? [],
    growth: outcome.result?.growth ?? new Map(),
  };
}
