import type { StackStatus } from '@sales-pipeline/stack';
import type { StatusLike } from '@sales-pipeline/dashboard';
import type { WorkerName } from './pipeline-state.ts';

type DashboardWorker = StatusLike['workers'][number];

/**
 * One worker as `status` reports it: what the dashboard reads of it (its {@link StatusLike} worker:
 * pid, liveness, /healthz verdict, restarts, rate, last error), plus what only `status` shows.
 */
export interface WorkerStatus extends DashboardWorker {
  name: WorkerName;
  logFile: string;
  /** The topics a healthy worker still waits for (analytics, before the first change of a table). */
  waitingFor?: string[];
}

/** A snapshot version of a feed held back: it would cancel `cancels` of the feed's `live_sales` sales. */
export interface HeldFeed {
  feed: string;
  reason: string;
  cancels: number;
  live_sales: number;
  held_at: string;
}

/** The shape of `sales-pipeline status --json` (documented in docs/observability.md); the dashboard reads part of it. */
export interface PipelineStatus extends StatusLike {
  checkedAt: string;
  mode: StackStatus['mode'];
  endpoints: StackStatus['endpoints'];
  components: StackStatus['components'];
  workers: WorkerStatus[];
  consumerLag: Array<{ group: string; topic: string; lag: number }>;
  totals: {
    /** Rows of the sales table, whatever their status (returns and cancelled lines included). */
    sales: number;
    pendingSales: number;
    rejectedRows: number;
    /** What the sales made (exact decimal string): `revenue + returnsRevenue`. */
    grossRevenue: string;
    /** Return lines counted, and what they took back (positive). */
    returns: number;
    returnsRevenue: string;
    /** Net revenue: sales minus returns. */
    revenue: string;
    milestones: number;
  } | null;
  /**
   * The analytics worker's continuous check of the aggregates against the sales: `verified_through` is the
   * commit time up to which they are known to agree; `drift` the aggregate rows found wrong, open until
   * `sales-pipeline reconcile --repair`; `behind` the sales changed since that the aggregates do not count yet.
   */
  verification: {
    verified_through: string | null;
    checked_at: string | null;
    drift: Array<{
      aggregate: string;
      key: string;
      stored: Record<string, string>;
      recomputed: Record<string, string>;
      detected_at: string;
    }>;
    behind: { sales: number; oldest_sale_id: string | null };
  } | null;
  /** Each feed and HTTP source: when it last grew, and whether it is stale (FEED_STALE_AFTER). */
  /** Every source: `kind` http (pushed to the ingest server) or feed (file or URL), its lines and rejected rows. */
  feeds: Array<{
    name: string;
    kind: 'http' | 'feed' | null;
    last_growth_at: string;
    lines: number;
    rejected: number;
    stale: boolean;
    stale_since?: string;
  }>;
  /** Feeds whose new version the producer holds back (`sales-pipeline feed accept <feed>` applies it). */
  heldFeeds: HeldFeed[];
  /** Backfills not finished (`sales-pipeline backfill`): the milestones they hold for their summary. */
  backfills: Array<{ feed: string; started_at: string; held_milestones: number }>;
  lastMilestones: Array<{ rule: string; subject: string; step: string; status: string; detectedAt: string }>;
  /** The web dashboard serving this pipeline (`up` starts it; `sales-pipeline dashboard` too), if one runs. */
  dashboard?: { url: string; pid: number } | null;
  /** The HTTP ingest server (`up` starts it when INGEST_TOKEN or INGEST_TOKENS_FILE is set, or with --ingest). */
  ingest?: { url: string; pid: number | null } | null;
}
