import type { PoolClient } from '@sales-pipeline/platform';
import type { Decoded } from './decode-message.ts';

/** How much a feed grew in a batch, and when its newest line was seen. */
export interface FeedGrowth {
  lines: number;
  /** `http`: sales pushed to the ingest server (ids `<source>/http/<id>`); `feed`: a file or URL; unknown from dead letters alone. */
  kind?: 'http' | 'feed' | undefined;
  /** Epoch ms: the newest `line-seen-at` of its sales, or when the batch was applied. */
  at: number;
}

/**
 * The lines of each feed (or HTTP source) in a batch: sales, changes, cancellations and the producer's
 * dead letters alike (a feed that only sends bad lines still grows). Pure.
 */
export function feedGrowth(decoded: Decoded[], now: number): Map<string, FeedGrowth> {
  const growth = new Map<string, FeedGrowth>();
  const add = (feed: string | null, seenAt: number | undefined, saleId?: string) => {
    if (!feed) return;
    const g: FeedGrowth = growth.get(feed) ?? { lines: 0, at: 0 };
    g.lines++;
    if (saleId !== undefined) g.kind = saleId.startsWith(`${feed}/http/`) ? 'http' : 'feed';
    g.at = Math.max(g.at, Math.min(seenAt ?? now, now));
    growth.set(feed, g);
  };
  for (const d of decoded) {
    if (d.kind === 'sale') add(d.value.feed, d.seenAt, d.value.sale_id);
    else if (d.kind === 'chunk') for (const sale of d.sales) add(sale.feed, d.seenAt, sale.sale_id);
    else if (d.kind === 'cancel') add(d.value.feed, undefined);
    else if (d.kind === 'dead-letter') add(d.value.feed, undefined);
  }
  return growth;
}

/** Adds `more` into `into`, feed by feed. */
export function mergeGrowth(into: Map<string, FeedGrowth>, more: Map<string, FeedGrowth>): void {
  for (const [feed, g] of more) {
    const known = into.get(feed);
    into.set(
      feed,
      known
        ? { lines: known.lines + g.lines, at: Math.max(known.at, g.at), kind: g.kind ?? known.kind }
        : { ...g },
    );
  }
}

/** Records the growth of every feed: one statement, whatever the number of feeds. */
export async function recordFeedGrowth(
  client: Pick<PoolClient, 'query'>,
  growth: Map<string, FeedGrowth>,
): Promise<void> {
  if (growth.size === 0) return;
  const feeds = [...growth];
  await client.query({
    name: 'consumer-feed-growth',
    text: `INSERT INTO feed_activity (feed, last_growth_at, lines, kind)
           SELECT feed, to_timestamp(at / 1000.0), lines, kind
             FROM unnest($1::text[], $2::float8[], $3::bigint[], $4::text[]) AS g(feed, at, lines, kind)
           ON CONFLICT (feed) DO UPDATE SET last_growth_at = GREATEST(feed_activity.last_growth_at, EXCLUDED.last_growth_at),
                                            lines = feed_activity.lines + EXCLUDED.lines,
                                            kind = COALESCE(EXCLUDED.kind, feed_activity.kind)`,
    values: [
      feeds.map(([f]) => f),
      feeds.map(([, g]) => g.at),
      feeds.map(([, g]) => g.lines),
      feeds.map(([, g]) => g.kind ?? null),
    ],
  });
}
