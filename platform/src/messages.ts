/**
 * What travels on the pipeline's topics. Values are JSON; money is a decimal string, never a float.
 */

/** Default topic names; each worker's config can override them. */
export const DEFAULT_TOPICS = {
  sales: 'sales',
  products: 'products',
  stores: 'stores',
  deadLetter: 'sales.deadletter',
} as const;

/** A sale as the producer publishes it, keyed by `sale_id`. Prices are set by the consumer at ingest. */
export interface SaleMessage {
  /** Deterministic: `<feed>/<generation>/<line>`; the same line of the same feed always gets the same id. */
  sale_id: string;
  feed: string;
  /** Incremented when the feed file is replaced by a new one (rotation, truncation). */
  generation: number;
  /** 1-based physical line number in the feed (the header is line 1). */
  line: number;
  /** ISO date, `YYYY-MM-DD`. */
  sold_on: string;
  product_id: string;
  store_id: string;
  quantity: number;
}

/** A product, keyed by `product_id`, on a compacted topic. */
export interface ProductMessage {
  product_id: string;
  name: string;
  /** Decimal string with at most two decimals, e.g. `"49.99"`. */
  unit_price: string;
  stock: number | null;
}

/** A store, keyed by `store_id`, on a compacted topic. */
export interface StoreMessage {
  store_id: string;
  city: string;
  employees: number | null;
}

/** A line or message that could not become a record, with why. Nothing is dropped silently. */
export interface DeadLetter {
  stage: 'producer' | 'consumer';
  feed: string | null;
  line: number | null;
  /** The raw line as text (invalid UTF-8 replaced by U+FFFD), cut at 64 KiB. */
  raw: string;
  /** The raw bytes in base64 when they are not valid UTF-8 or were cut; null otherwise. */
  raw_base64: string | null;
  reason: string;
  detected_at: string;
}

/** Header carrying the time (ms since epoch) the producer first saw the line, for latency measurements. */
export const LINE_SEEN_AT_HEADER = 'line-seen-at';
