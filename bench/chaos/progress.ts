import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { CorrectionFeed } from './corrections.ts';
import type { ChaosFeed } from './feed.ts';
import { cents } from './numeric.ts';

export interface Progress {
  sales: number;
  /** Sales of the correction phase's export that are not cancelled. */
  corrected: number;
  /** Complete sales of the backfill phase's history. */
  history: number;
  complete: number;
  rejected: number;
  aggregatedSales: number;
  aggregatedRevenueCents: bigint;
  milestones: number;
  unsent: number;
}

/** Where the pipeline stands, read as the admin role. */
export async function readProgress(
  adminUrl: string,
  feedId: string,
  snapshotFeedId = `${feedId}-fix`,
  historyFeedId = `${feedId}-history`,
): Promise<Progress> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM sales WHERE feed = $1) AS sales,
              (SELECT count(*) FROM sales WHERE feed = $1 AND status = 'complete') AS complete,
              (SELECT count(*) FROM sales WHERE feed = $2 AND status = 'complete') AS corrected,
              (SELECT count(*) FROM sales WHERE feed = $3 AND status = 'complete') AS history,
              (SELECT count(*) FROM rejected_rows) AS rejected,
              (SELECT sales FROM analytics.revenue_total WHERE id = 1) AS agg_sales,
              (SELECT revenue::text FROM analytics.revenue_total WHERE id = 1) AS agg_revenue,
              (SELECT count(*) FROM milestones) AS milestones,
              (SELECT count(*) FROM milestones WHERE status <> 'sent') AS unsent`,
      [feedId, snapshotFeedId, historyFeedId],
    );
    const r = rows[0] ?? {};
    return {
      sales: Number(r.sales),
      corrected: Number(r.corrected),
      history: Number(r.history),
      complete: Number(r.complete),
      rejected: Number(r.rejected),
      aggregatedSales: Number(r.agg_sales),
      aggregatedRevenueCents: cents(r.agg_revenue ?? '0') ?? 0n,
      milestones: Number(r.milestones),
      unsent: Number(r.unsent),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function describeProgress(p: Progress): string {
  return (
    `sales ${p.sales} (complete ${p.complete}), corrected export ${p.corrected}, history ${p.history}, rejected ${p.rejected}, aggregated ${p.aggregatedSales}, ` +
    `milestones ${p.milestones} (unsent ${p.unsent})`
  );
}

/**
 * Waits until every stage has caught up: all valid lines (of the feed and of the history) are complete
 * sales, all bad lines rejected, the aggregates count every sale, the backfill has finished, every
 * milestone that must exist is recorded and sent, and nothing has moved (milestones, Slack posts) for
 * `quietMs`. Returns false on timeout (the checks then say what is off).
 */
export async function waitForCatchUp(options: {
  adminUrl: string;
  feed: ChaosFeed;
  corrections: CorrectionFeed;
  history: ChaosFeed;
  backfillFinished: () => boolean;
  expected: Set<string>;
  posted: () => number;
  timeoutMs: number;
  quietMs: number;
  print: (line: string) => void;
}): Promise<boolean> {
  const { feed, corrections, history } = options;
  const deadline = Date.now() + options.timeoutMs;
  let lastSignature = '';
  let quietSince = Date.now();
  let lastPrint = 0;
  while (Date.now() < deadline) {
    let progress: Progress | undefined;
    try {
      progress = await readProgress(options.adminUrl, feed.feedId, corrections.feedId, history.feedId);
    } catch {
      // the database may still be recovering
    }
    if (progress) {
      const signature = `${progress.milestones}/${progress.unsent}/${options.posted()}/${progress.aggregatedSales}`;
      if (signature !== lastSignature) {
        lastSignature = signature;
        quietSince = Date.now();
      }
      const done =
        progress.sales === feed.sales.size &&
        progress.complete === feed.sales.size &&
        progress.rejected === feed.rejections.size + history.rejections.size &&
        progress.corrected === corrections.final.length &&
        progress.history === history.sales.size &&
        options.backfillFinished() &&
        progress.aggregatedSales === feed.saleLines + corrections.saleLines + history.saleLines &&
        progress.aggregatedRevenueCents === feed.totalCents + corrections.totalCents + history.totalCents &&
        progress.milestones >= options.expected.size &&
        progress.unsent === 0;
      if (Date.now() - lastPrint > 10_000) {
        lastPrint = Date.now();
        options.print(
          `[chaos] catching up: ${describeProgress(progress)}, posted ${options.posted()}` +
            (options.backfillFinished() ? '' : ', backfill running'),
        );
      }
      if (done && Date.now() - quietSince >= options.quietMs) return true;
    }
    await sleep(1_000);
  }
  return false;
}
