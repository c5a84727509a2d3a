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
  /** Whole units; negative for a return (priced like a sale: negative revenue). Never 0. */
  quantity: number;
  /**
   * Orders the changes of one sale (amendments, cancellations): present on every sale of a snapshot feed
   * or a feed with an id column, strictly increasing per feed; the consumer applies a change only over a
   * lower one. Absent on an append-only feed's sales, which are inserted once and never changed.
   */
  rev?: number;
  /** The feed version (snapshot) the line belongs to, when the feed has versions. */
  version?: number;
}

/**
 * A sale that is no longer in the latest version of its feed (a snapshot without its line, or a line of
 * an id-column feed marked cancelled), keyed by `sale_id` on the sales topic like the sale itself.
 */
export interface SaleCancellation {
  op: 'cancel';
  sale_id: string;
  feed: string;
  rev: number;
  version?: number;
  /** The line that cancelled it (id-column feeds); null when the line disappeared (snapshots). */
  line: number | null;
}

/**
 * The producer held back a snapshot version that would cancel too many of the feed's sales (more than
 * SNAPSHOT_MAX_CANCEL): sent on the dead-letter topic, keyed `<feed>/hold/<seq>`, so that `status`, the
 * dashboard and Slack can show it. `sales-pipeline feed accept <feed>` lets the producer apply it.
 */
export interface FeedHoldNotice {
  type: 'feed-hold';
  feed: string;
  /** Increases with each held version of the feed; `feed accept` names the one it accepts. */
  seq: number;
  version_sha: string;
  reason: string;
  cancels: number;
  live_sales: number;
  detected_at: string;
}

/** The producer applied a version of a snapshot feed: any hold of the feed is over. */
export interface FeedVersionNotice {
  type: 'feed-version';
  feed: string;
  version: number;
  new_sales: number;
  amendments: number;
  cancellations: number;
  detected_at: string;
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
