/**
 * Latency quantiles from the workers' Prometheus histograms (their /metrics text): the buckets of one
 * histogram summed over its label sets, the difference of two scrapes (the observations in between),
 * and p50/p99 interpolated within a bucket as Prometheus' histogram_quantile does. Pure.
 */

export interface Histogram {
  /** Cumulative counts by upper bound, ascending; the last one is +Inf. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
}

/** One histogram of a /metrics text, its label sets summed; undefined when the text has none. */
export function parseHistogram(text: string, name: string): Histogram | undefined {
  const byLe = new Map<number, number>();
  const prefix = `${name}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const le = /[{,]le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le === undefined || !Number.isFinite(value)) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    byLe.set(bound, (byLe.get(bound) ?? 0) + value);
  }
  if (byLe.size === 0) return undefined;
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
  return { buckets, count: buckets[buckets.length - 1]?.count ?? 0 };
}

/**
 * The observations between two scrapes of the same histogram (`later − earlier`). When the worker
 * restarted in between (a count went down), the later scrape is all there is.
 */
export function subtractHistogram(later: Histogram, earlier: Histogram): Histogram {
  const before = new Map(earlier.buckets.map((b) => [b.le, b.count]));
  if (later.count < earlier.count || later.buckets.some((b) => b.count < (before.get(b.le) ?? 0)))
    return later;
  const buckets = later.buckets.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
  return { buckets, count: later.count - earlier.count };
}

/**
 * The q-quantile (0 < q < 1), linearly interpolated within its bucket; null without observations. A
 * quantile in the +Inf bucket is reported as the largest finite bound (the histogram cannot say more).
 */
export function histogramQuantile(h: Histogram, q: number): number | null {
  if (h.count <= 0) return null;
  const rank = q * h.count;
  let previousLe = 0;
  let previousCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return previousLe;
      const inBucket = b.count - previousCount;
      if (inBucket <= 0) return b.le;
      return previousLe + (b.le - previousLe) * ((rank - previousCount) / inBucket);
    }
    previousLe = b.le;
    previousCount = b.count;
  }
  return previousLe;
}

/** The hops the dashboard shows: each a histogram of one worker. */
export const LATENCY_HOPS = [
  { hop: 'line → row', worker: 'consumer', metric: 'consumer_line_to_row_seconds' },
  { hop: 'row → aggregate (commit)', worker: 'analytics', metric: 'analytics_commit_to_aggregate_seconds' },
  { hop: 'line → aggregate', worker: 'analytics', metric: 'analytics_line_to_aggregate_seconds' },
  { hop: 'line → milestone', worker: 'notifier', metric: 'notifier_line_to_milestone_seconds' },
  { hop: 'consumer batch', worker: 'consumer', metric: 'consumer_batch_duration_seconds' },
] as const;

/**
 * Keeps each histogram's recent scrapes and gives p50/p99 over about the last `windowMs`: against the
 * newest scrape at least that old (or the oldest kept). Without an observation in the window, the
 * lifetime histogram is used, and said so.
 */
export class LatencyWindow {
  private readonly history = new Map<string, Array<{ at: number; h: Histogram }>>();

  constructor(private readonly windowMs = 60_000) {}

  observe(key: string, h: Histogram, at: number): void {
    const list = this.history.get(key) ?? [];
    list.push({ at, h });
    // Keep one scrape older than the window (the baseline) and those within it.
    while (list.length > 2 && (list[1] as { at: number }).at <= at - this.windowMs) list.shift();
    this.history.set(key, list);
  }

  quantiles(key: string): {
    p50: number | null;
    p99: number | null;
    count: number;
    scope: 'window' | 'lifetime';
  } {
    const list = this.history.get(key) ?? [];
    const latest = list[list.length - 1];
    if (!latest) return { p50: null, p99: null, count: 0, scope: 'lifetime' };
    const baseline = list[0] as { at: number; h: Histogram };
    const windowed = baseline === latest ? undefined : subtractHistogram(latest.h, baseline.h);
    const h = windowed && windowed.count > 0 ? windowed : latest.h;
    return {
      p50: histogramQuantile(h, 0.5),
      p99: histogramQuantile(h, 0.99),
      count: h.count,
      scope: h === windowed ? 'window' : 'lifetime',
    };
  }
}
