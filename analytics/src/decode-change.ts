import { UNKNOWN_REGION, toCents } from '@sales-pipeline/platform';

/**
 * What one sale line adds to the aggregates. `counted` false: it adds nothing (pending, cancelled, or
 * deleted). A return is a line with negative units: its cents are negative too (amount = price × quantity).
 */
export interface Contribution {
  productId: string | null;
  storeId: string | null;
  day: string | null;
  /** Signed: negative for a return. */
  units: bigint;
  /** Revenue in cents, signed (negative for a return): exact integer arithmetic, never floating point. */
  cents: bigint;
  counted: boolean;
}

export const NOTHING: Contribution = {
  productId: null,
  storeId: null,
  day: null,
  units: 0n,
  cents: 0n,
  counted: false,
};

/** A change of one sale, as Debezium reported it. */
export interface SaleChange {
  saleId: string;
  lsn: bigint;
  after: Contribution;
  /**
   * When the producer saw the sale's feed line (epoch ms), on the change that first counts the sale:
   * the start of its line → aggregate latency. Undefined for other changes.
   */
  lineSeenAt?: number;
}

/** A change of one store: where its totals are filed. */
export interface StoreChange {
  storeId: string;
  lsn: bigint;
  city: string;
  region: string;
  deleted: boolean;
}

interface SaleRow {
  sale_id: string;
  sold_on: number | string;
  product_id: string;
  store_id: string;
  quantity: number;
  amount: string | null;
  status: string;
  line_seen_at?: string | null;
}

interface Envelope<Row> {
  op: 'c' | 'u' | 'd' | 'r' | 't';
  before: Row | null;
  after: Row | null;
  source: { lsn: number | null; table: string };
}

/** Debezium's `date` (days since 1970-01-01, or ISO text) → `YYYY-MM-DD`. */
export function toIsoDay(value: number | string): string {
  if (typeof value === 'string') return value.slice(0, 10);
  return new Date(value * 86_400_000).toISOString().slice(0, 10);
}

/** Only a complete line counts: a pending or cancelled one adds nothing. */
export function contributionOf(row: SaleRow | null): Contribution {
  if (!row || row.status !== 'complete' || row.amount === null) return NOTHING;
  return {
    productId: row.product_id,
    storeId: row.store_id,
    day: toIsoDay(row.sold_on),
    units: BigInt(row.quantity),
    cents: toCents(row.amount),
    counted: true,
  };
}

/**
 * Decodes a Debezium event of the sales table. Pure. The row's new contribution comes from the after
 * image (nothing for a delete); what it contributed before is the worker's own record of the row, kept
 * exact across replays (the before image carries the same values: REPLICA IDENTITY FULL).
 * Returns undefined for events that change nothing (truncate markers, tombstones).
 */
export function decodeSaleChange(value: string | null): SaleChange | undefined {
  if (!value) return undefined;
  const event = JSON.parse(value) as Envelope<SaleRow>;
  const row = event.after ?? event.before;
  if (!row || event.op === 't' || event.source.lsn === null) return undefined;
  const after = event.op === 'd' ? NOTHING : contributionOf(event.after);
  const firstCounted = after.counted && (event.op === 'c' || event.op === 'r');
  const lineSeenAt = firstCounted ? epochMs(event.after?.line_seen_at) : undefined;
  return {
    saleId: row.sale_id,
    lsn: BigInt(event.source.lsn),
    after,
    ...(lineSeenAt === undefined ? {} : { lineSeenAt }),
  };
}

/** Debezium's `timestamptz` (ISO-8601 text, io.debezium.time.ZonedTimestamp) → epoch ms. */
export function epochMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

interface StoreRow {
  store_id: string;
  city: string;
  region: string | null;
}

/** Decodes a Debezium event of the stores table. Pure. */
export function decodeStoreChange(value: string | null): StoreChange | undefined {
  if (!value) return undefined;
  const event = JSON.parse(value) as Envelope<StoreRow>;
  const row = event.after ?? event.before;
  if (!row || event.op === 't' || event.source.lsn === null) return undefined;
  return {
    storeId: row.store_id,
    lsn: BigInt(event.source.lsn),
    city: event.op === 'd' ? UNKNOWN_REGION : row.city,
    region: event.op === 'd' ? UNKNOWN_REGION : (row.region ?? UNKNOWN_REGION),
    deleted: event.op === 'd',
  };
}
