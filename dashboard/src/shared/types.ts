/**
 * What the dashboard server sends the page (as JSON, over server-sent events and /api/*). Money is a
 * decimal string with two decimals, exact; counts are numbers. No connection string, password or token
 * is ever part of it.
 */

export interface Breakdown {
  /** Net units: returns count negative. */
  units: number;
  /** Sale lines (a return is not a sale). */
  sales: number;
  /** Net revenue (sales minus returns), exact decimal string, e.g. `"5268.78"`. */
  revenue: string;
}

/** An aggregate row's figures with its returns. */
export interface Figures extends Breakdown {
  /** Return lines (negative quantity). */
  returns: number;
  /** What the sales made: `revenue + returnsRevenue`, exact decimal string. */
  grossRevenue: string;
  /** What the returns took back, positive, exact decimal string. */
  returnsRevenue: string;
}

/** A sale amended or cancelled by a later version of its feed (`sale_versions`). */
export interface CorrectionView {
  saleId: string;
  rev: number;
  op: 'amendment' | 'cancellation';
  feed: string;
  productId: string | null;
  storeId: string | null;
  /** The quantity of this version (negative: a return). */
  quantity: number | null;
  recordedAt: string;
}

/** A snapshot version of a feed the producer held back (it would cancel too many sales), not accepted yet. */
export interface HeldFeedView {
  feed: string;
  reason: string;
  cancels: number;
  liveSales: number;
  heldAt: string;
}

export interface MinutePoint extends Breakdown {
  /** Start of the minute, in milliseconds since the epoch. */
  minute: number;
}

export interface SalesSection {
  at: string;
  totals: Figures;
  /** Net revenue counted per minute over the last hour (minutes without a change are absent). */
  perMinute: MinutePoint[];
  byDay: Array<Figures & { day: string }>;
  byProduct: Array<Figures & { productId: string; name: string | null }>;
  byRegion: Array<Figures & { region: string }>;
  byCity: Array<Figures & { city: string; region: string | null }>;
  bestStores: Array<Figures & { storeId: string; city: string | null; region: string | null }>;
  quality: { rejectedRows: number; pendingSales: number };
  /** The last amendments and cancellations, newest first. */
  corrections: CorrectionView[];
  /** Feeds held back, waiting for `sales-pipeline feed accept <feed>`. */
  heldFeeds: HeldFeedView[];
  trust: TrustView;
  /** Every source the pipeline reads or is pushed: file and URL feeds, and HTTP sources, with their pace. */
  sources: SourceView[];
}

/** One source of sales: a feed the producer reads (file or URL) or a source pushing to the ingest server. */
export interface SourceView {
  name: string;
  /** `http`: pushed to the ingest server; `feed`: a file or URL; `null`: not known yet (only dead letters). */
  kind: 'http' | 'feed' | null;
  /** Lines (sales, changes and rejected ones) stored so far. */
  lines: number;
  /** Lines per second over the last minute the dashboard watched; null before two readings. */
  perSecond: number | null;
  /** Rows of this source rejected (dead letters and rows the consumer refused). */
  rejected: number;
  lastGrowthAt: string;
  stale: boolean;
}

/** The analytics worker's verification of the aggregates, and when each feed last grew. */
export interface TrustView {
  /** Commit time up to which the aggregates are known to agree with the sales. */
  verifiedThrough: string | null;
  checkedAt: string | null;
  /** Sales changed since, not counted yet (the worker is behind). */
  behindSales: number;
  /** Aggregate rows found wrong, open until `sales-pipeline reconcile --repair`. */
  drift: Array<{
    aggregate: string;
    key: string;
    storedRevenue: string;
    recomputedRevenue: string;
    detectedAt: string;
  }>;
  feeds: Array<{ name: string; lastGrowthAt: string; stale: boolean }>;
}

export interface MilestoneView {
  id: number;
  rule: string;
  subject: string;
  status: string;
  detectedAt: string;
  sentAt: string | null;
  /** The sentence as the notifier posts it to Slack, in each language. Rendered as text. */
  text: { fr: string; en: string };
}

export interface DeadLettersSection {
  totals: { rejectedRows: number; pendingSales: number };
  rejected: Array<{
    id: number;
    stage: string;
    feed: string | null;
    line: number | null;
    reason: string;
    raw: string | null;
    topic: string | null;
    rejectedAt: string;
    replayedAt: string | null;
  }>;
  pending: Array<{ productId: string; storeId: string; missing: string; sales: number }>;
}

export interface WorkerView {
  name: string;
  pid: number | null;
  alive: boolean;
  healthy: boolean | null;
  restarts: number;
  failed: string | null;
  ratePerSecond: number | null;
  lastError: { at: string; message: string } | null;
}

export interface LatencyView {
  hop: string;
  worker: string;
  metric: string;
  p50: number | null;
  p99: number | null;
  count: number;
  /** `window`: the observations of about the last minute; `lifetime`: since the worker started. */
  scope: 'window' | 'lifetime';
}

export interface PartitionLag {
  partition: number;
  nextOffset: number;
  endOffset: number | null;
  lag: number | null;
}

export interface PipelineSection {
  at: string;
  healthy: boolean;
  mode: string;
  components: Array<{ name: string; healthy: boolean; detail: string }>;
  supervisor: { pid: number; alive: boolean; demo: boolean; startedAt: string } | null;
  workers: WorkerView[];
  connector: { name: string; state: string; tasks: Array<{ id: number; state: string }> } | null;
  replicationSlot: { name: string; active: boolean; lagBytes: number } | null;
  topics: Array<{ name: string; partitions: Array<{ partition: number; endOffset: number }> }>;
  groups: Array<{ group: string; topic: string; lag: number | null; partitions: PartitionLag[] }>;
  latency: LatencyView[];
  errors: string[];
}

/** The dashboard's own view of its sources: which are reachable now. */
export interface SourcesHealth {
  at: string;
  database: { ok: boolean; error: string | null; since: string | null };
  pipeline: { ok: boolean; error: string | null; since: string | null };
}

/** Every section the server sends, by the name of its event. */
export interface DashboardSections {
  sales: SalesSection;
  milestones: MilestoneView[];
  deadLetters: DeadLettersSection;
  pipeline: PipelineSection;
  sources: SourcesHealth;
}

/** One section as sent on the event stream: `event: <type>`, `data: <JSON>`. */
export type DashboardEvent = {
  [K in keyof DashboardSections]: { type: K; data: DashboardSections[K] };
}[keyof DashboardSections];

/** The explanation of one figure, as `report explain --json` gives it (the part the page shows). */
export interface ExplanationView {
  dimension: string;
  key: string;
  aggregate: { revenue: string; units: string | number } | null;
  sum: { revenue: string; units: string | number; sales: string | number; returns: string | number };
  equal: boolean;
  difference: null | { reason: 'behind' | 'drift'; not_counted: number; detail: string };
  contributions: Array<{
    sale_id: string;
    status: string;
    source: { feed: string; line: number; feed_version: number | null; id: string | null };
    kafka: { topic: string | null; partition: number | null; offset: string | null };
    stored_at: string;
    sold_on: string;
    product_id: string;
    store_id: string;
    quantity: number;
    unit_price: string | null;
    amount: string | null;
  }>;
  page: { limit: number; after: string | null; next: string | null };
}

/** `report explain` through a client of the dashboard's pool (given by the CLI, which owns analytics). */
export type ExplainQuery = (
  client: { query: (...args: never[]) => unknown },
  dimension: string,
  key: string,
  options: { limit: number; after?: string | undefined },
) => Promise<unknown>;
