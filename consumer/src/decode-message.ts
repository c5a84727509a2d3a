import { z } from 'zod';
import {
  cityKey,
  type DeadLetter,
  type FeedHoldNotice,
  type FeedVersionNotice,
  type ProductMessage,
  type SaleCancellation,
  type SaleMessage,
  type StoreMessage,
} from '@sales-pipeline/platform';

/** Where a message sits in Kafka. */
export interface MessagePosition {
  topic: string;
  partition: number;
  offset: string;
}

/** A message turned into what the database gets, or refused with a reason. */
export type Decoded =
  | { kind: 'sale'; value: SaleMessage; offset: bigint; seenAt: number | undefined }
  /** A backfill's chunk of sales (no `rev`: append-only), stored in bulk. */
  | { kind: 'chunk'; sales: SaleMessage[]; offset: bigint; seenAt: number | undefined }
  | { kind: 'product'; value: ProductMessage; offset: bigint }
  | { kind: 'store'; value: StoreMessage & { cityKey: string }; offset: bigint }
  | { kind: 'cancel'; value: SaleCancellation; offset: bigint }
  | { kind: 'dead-letter'; value: DeadLetter; offset: bigint }
  | { kind: 'feed-notice'; value: FeedHoldNotice | FeedVersionNotice; offset: bigint }
  | { kind: 'rejected'; reason: string; raw: string; bytes: Buffer; offset: bigint };

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
const saleSchema = z.object({
  sale_id: z.string().min(1).max(300),
  feed: z.string().min(1).max(200),
  generation: z.number().int().min(0),
  line: z.number().int().positive(),
  sold_on: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  product_id: id,
  store_id: id,
  // Negative: a return. Never zero. The producer bounds it by QUANTITY_MAX; this is the sanity bound.
  quantity: z
    .number()
    .int()
    .min(-1_000_000)
    .max(1_000_000)
    .refine((q) => q !== 0, 'must not be zero'),
  rev: z.number().int().min(1).optional(),
  version: z.number().int().min(1).optional(),
});
/** A chunk holds append-only sales (a sale with versions goes alone, in order). */
const chunkSchema = z.object({
  op: z.literal('chunk'),
  sales: z
    .array(
      saleSchema.refine((s) => s.rev === undefined && s.version === undefined, 'a chunk sale has no rev'),
    )
    .min(1)
    .max(10_000),
});
const cancellationSchema = z.object({
  op: z.literal('cancel'),
  sale_id: z.string().min(1).max(300),
  feed: z.string().min(1).max(200),
  rev: z.number().int().min(1),
  version: z.number().int().min(1).optional(),
  line: z.number().int().positive().nullable(),
});
const feedNoticeSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('feed-hold'),
    feed: z.string().min(1).max(200),
    seq: z.number().int().min(1),
    version_sha: z.string().regex(/^[0-9a-f]{64}$/),
    reason: z.string().min(1).max(2000),
    cancels: z.number().int().min(0),
    live_sales: z.number().int().min(0),
    detected_at: z.string(),
  }),
  z.object({
    type: z.literal('feed-version'),
    feed: z.string().min(1).max(200),
    version: z.number().int().min(1),
    new_sales: z.number().int().min(0),
    amendments: z.number().int().min(0),
    cancellations: z.number().int().min(0),
    detected_at: z.string(),
  }),
]);
const productSchema = z.object({
  product_id: id,
  name: z.string().min(1).max(200),
  unit_price: z.string().regex(/^\d{1,10}\.\d{2}$/, 'must be a decimal string with two decimals'),
  stock: z.number().int().min(0).nullable(),
});
const storeSchema = z.object({
  store_id: id,
  city: z.string().min(1).max(200),
  employees: z.number().int().min(0).nullable(),
});
const deadLetterSchema = z.object({
  stage: z.enum(['producer', 'consumer']),
  feed: z.string().nullable(),
  line: z.number().int().nullable(),
  raw: z.string(),
  raw_base64: z.string().nullable(),
  reason: z.string().min(1),
  detected_at: z.string(),
});

export type TopicKinds = { sales: string; products: string; stores: string; deadLetter: string };

/** PostgreSQL text cannot hold NUL: a raw line of binary garbage keeps every other byte. */
export function pgSafeText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u0000/g, '\uFFFD');
}

/**
 * Decodes one Kafka message by its topic. Pure. A message that can never be applied (not JSON, wrong
 * shape) becomes `rejected` with its reason: it is recorded, and the stream goes on.
 */
export function decodeMessage(
  topics: TopicKinds,
  topic: string,
  message: { offset: string; value: Buffer | null; headers?: Record<string, unknown> },
  seenAtHeader: string,
): Decoded {
  const offset = BigInt(message.offset);
  const raw = message.value?.toString('utf8') ?? '';
  const reject = (reason: string): Decoded => ({
    kind: 'rejected',
    reason,
    raw: pgSafeText(raw.slice(0, 65_536)),
    bytes: (message.value ?? Buffer.alloc(0)).subarray(0, 65_536),
    offset,
  });
  if (message.value === null) return reject('empty message (tombstone)');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return reject('message value is not JSON');
  }
  const issue = (error: z.ZodError) =>
    error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
  if (topic === topics.sales) {
    const op = (json as { op?: unknown } | null)?.op;
    if (op === 'cancel') {
      const cancel = cancellationSchema.safeParse(json);
      if (!cancel.success) return reject(`invalid sale cancellation (${issue(cancel.error)})`);
      return { kind: 'cancel', value: cancel.data, offset };
    }
    const header = message.headers?.[seenAtHeader];
    const seenAtValue = header === undefined ? undefined : Number(String(header));
    const seenAt = Number.isFinite(seenAtValue) ? seenAtValue : undefined;
    if (op === 'chunk') {
      // A chunk is applied or refused as a whole: one message, one rejected row if it is wrong.
      const chunk = chunkSchema.safeParse(json);
      if (!chunk.success) return reject(`invalid chunk of sales (${issue(chunk.error)})`);
      return { kind: 'chunk', sales: chunk.data.sales, offset, seenAt };
    }
    const parsed = saleSchema.safeParse(json);
    if (!parsed.success) return reject(`invalid sale message (${issue(parsed.error)})`);
    return { kind: 'sale', value: parsed.data, offset, seenAt };
  }
  if (topic === topics.products) {
    const parsed = productSchema.safeParse(json);
    if (!parsed.success) return reject(`invalid product message (${issue(parsed.error)})`);
    return { kind: 'product', value: parsed.data, offset };
  }
  if (topic === topics.stores) {
    const parsed = storeSchema.safeParse(json);
    if (!parsed.success) return reject(`invalid store message (${issue(parsed.error)})`);
    return { kind: 'store', value: { ...parsed.data, cityKey: cityKey(parsed.data.city) }, offset };
  }
  if (topic === topics.deadLetter) {
    if (typeof (json as { type?: unknown } | null)?.type === 'string') {
      const notice = feedNoticeSchema.safeParse(json);
      if (!notice.success) return reject(`invalid feed notice (${issue(notice.error)})`);
      return { kind: 'feed-notice', value: notice.data, offset };
    }
    const parsed = deadLetterSchema.safeParse(json);
    if (!parsed.success) return reject(`invalid dead-letter record (${issue(parsed.error)})`);
    return { kind: 'dead-letter', value: parsed.data, offset };
  }
  return reject(`message from an unexpected topic ${topic}`);
}

/** The last message of each key, in offset order: a batch may hold a key twice, the later one wins. */
export function lastByKey<T>(items: T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    byKey.delete(k);
    byKey.set(k, item);
  }
  return [...byKey.values()];
}

/** Escapes a value for PostgreSQL's COPY text format (`\N` is NULL). */
export function copyText(value: string | number | bigint | null): string {
  if (value === null) return '\\N';
  return String(value).replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}
