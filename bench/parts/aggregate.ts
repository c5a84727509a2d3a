/**
 * aggregate — the analytics worker's cost per change (time in its batch transactions / changes) for
 * BENCH_CHANGES new sales (default 20,000) with BENCH_BASE_SMALL (10,000) and then BENCH_BASE_LARGE
 * (1,000,000) sales already stored, and the ratio (it must not grow with the table). Also, for
 * `npm run bench:analytics`, commit → aggregate latency at a steady rate (sales inserted straight into
 * PostgreSQL). The worker runs in this process, so its batch times are measured directly.
 */
import pg from 'pg';
import { analyze, loadAnalyticsConfig } from '@sales-pipeline/analytics';
import { createLogger } from '@sales-pipeline/platform';
import type { RunningStack } from '@sales-pipeline/stack';
import { fmt, sizeFromEnv, until } from '../bench-stack.ts';
import type { PartResult } from '../lib/part.ts';

export interface AnalyticsHarness {
  db: pg.Client;
  insert(count: number): Promise<void>;
  countedSales(): Promise<number>;
  waitForSales(target: number, pollMs?: number): Promise<number>;
  /** Changes and milliseconds spent in the worker's batch transactions since the last reset. */
  batches: { ms: number; changes: number };
  stop(): Promise<void>;
}

/** The analytics worker in this process on `stack`, a writer of sales, and the aggregate's counters. */
export async function startAnalyticsHarness(stack: RunningStack): Promise<AnalyticsHarness> {
  const run = Date.now().toString(36);
  const db = new pg.Client({ connectionString: stack.secrets.adminDatabaseUrl });
  await db.connect();
  await db.query(
    `INSERT INTO stores (store_id, city, region) VALUES ('S1', 'Lyon', 'Auvergne-Rhône-Alpes') ON CONFLICT DO NOTHING`,
  );
  await db.query(
    `INSERT INTO products (product_id, name, unit_price) VALUES ('B1', 'Bench', 10.00) ON CONFLICT DO NOTHING`,
  );
  let counter = 0;
  const insert = async (count: number) => {
    const from = counter;
    counter += count;
    await db.query(
      `INSERT INTO sales (sale_id, sold_on, product_id, store_id, quantity, unit_price, amount, status, feed, line_number)
       SELECT $1 || '/0/' || i, DATE '2024-01-01' + (i % 365)::int, 'B1', 'S1', (1 + i % 5)::int, 10.00, 10.00 * (1 + i % 5), 'complete', $1, i
         FROM generate_series($2::bigint, $3::bigint) i`,
      [`bench-${run}`, from + 2, from + count + 1],
    );
  };
  const countedSales = async () =>
    Number(
      (await db.query<{ sales: string }>('SELECT sales FROM analytics.revenue_total WHERE id = 1')).rows[0]
        ?.sales,
    );
  const waitForSales = (target: number, pollMs = 5) =>
    until(
      `${target} sales counted in analytics.revenue_total`,
      async (saw) => {
        const counted = await countedSales();
        saw(`${counted} sales counted`);
        return counted >= target ? Date.now() : undefined;
      },
      { intervalMs: pollMs, stallMs: 180_000 },
    );
  const batches = { ms: 0, changes: 0 };
  const stop = new AbortController();
  const config = loadAnalyticsConfig({
    KAFKA_BROKERS: stack.endpoints.kafkaBrokers,
    DATABASE_URL: stack.secrets.databaseUrl,
    ANALYTICS_GROUP: 'sales-pipeline.analytics',
    LOG_LEVEL: 'warn',
  });
  const worker = analyze(config, createLogger('bench-analytics', 'warn'), stop.signal, {
    afterBatch: (n, ms) => {
      batches.changes += n;
      batches.ms += ms;
    },
  });
  await insert(1);
  const expected = Number(
    (await db.query<{ n: string }>(`SELECT count(*) AS n FROM sales WHERE status = 'complete'`)).rows[0]?.n,
  );
  await waitForSales(expected, 50);
  return {
    db,
    insert,
    countedSales,
    waitForSales,
    batches,
    async stop() {
      stop.abort();
      await worker;
      await db.query('TRUNCATE sales');
      await db.end();
    },
  };
}

export interface CostFigures {
  base: number;
  msPerChange: number;
  changesPerSecond: number;
}

/** Cost per change of `changes` new sales with `base` sales already stored (the table starts over). */
export async function costWithBase(h: AnalyticsHarness, base: number, changes: number): Promise<CostFigures> {
  await h.db.query('TRUNCATE sales'); // not captured: the aggregates keep what they had, the table starts over
  const before = await h.countedSales();
  for (let done = 0; done < base; done += 100_000) await h.insert(Math.min(100_000, base - done));
  await h.waitForSales(before + base, 50);
  h.batches.ms = 0;
  h.batches.changes = 0;
  const target = (await h.countedSales()) + changes;
  for (let done = 0; done < changes; done += 500) await h.insert(Math.min(500, changes - done));
  await h.waitForSales(target, 20);
  return {
    base,
    msPerChange: h.batches.ms / h.batches.changes,
    changesPerSecond: Math.round((h.batches.changes * 1000) / h.batches.ms),
  };
}

/** Commit → aggregate latency at a steady rate: every 50 ms, 1/20 of a second's sales in one transaction. */
export async function commitToAggregateLatency(h: AnalyticsHarness, ratePerSecond: number, seconds: number) {
  const tick = 50;
  const perTick = Math.max(1, Math.round((ratePerSecond * tick) / 1000));
  const latencies: number[] = [];
  const pending: Array<{ target: number; committedAt: number }> = [];
  let baseline = await h.countedSales();
  let measuring = true;
  let lastCounted = baseline;
  let countedChangedAt = Date.now();
  const watcher = (async () => {
    while (measuring || pending.length > 0) {
      const current = await h.countedSales();
      if (current !== lastCounted) [lastCounted, countedChangedAt] = [current, Date.now()];
      else if (pending.length > 0 && Date.now() - countedChangedAt > 180_000)
        throw new Error(
          `no progress for 180 s waiting for the aggregates to count ${pending.at(-1)?.target} sales; last seen: ${current} counted`,
        );
      const now = Date.now();
      while (pending.length > 0 && (pending[0]?.target ?? Infinity) <= current)
        latencies.push(now - (pending.shift()?.committedAt ?? now));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  watcher.catch(() => undefined); // handled: `await watcher` below reports it
  const ticks = Math.round((seconds * 1000) / tick);
  const started = Date.now();
  for (let i = 0; i < ticks; i++) {
    await h.insert(perTick);
    baseline += perTick;
    pending.push({ target: baseline, committedAt: Date.now() });
    const next = started + (i + 1) * tick;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
  }
  measuring = false;
  await watcher;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    target: ratePerSecond,
    achieved: Math.round((ticks * perTick * 1000) / (Date.now() - started)),
    seconds,
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: latencies.at(-1),
    samples: latencies.length,
  };
}

export function costMarkdown(changes: number, small: CostFigures, large: CostFigures): string[] {
  return [
    '| sales already stored | ms per change | changes/s |',
    '| ---: | ---: | ---: |',
    `| ${fmt(small.base)} | ${small.msPerChange.toFixed(4)} | ${fmt(small.changesPerSecond)} |`,
    `| ${fmt(large.base)} | ${large.msPerChange.toFixed(4)} | ${fmt(large.changesPerSecond)} |`,
    '',
    `ratio large / small: **${(large.msPerChange / small.msPerChange).toFixed(2)}** (${fmt(changes)} new sales each; time in the worker's batch transactions)`,
  ];
}

/** The part of `npm run bench`: cost per change at a small and a large table. */
export async function aggregate(stack: RunningStack): Promise<PartResult> {
  const changes = sizeFromEnv('BENCH_CHANGES', 20_000);
  const baseSmall = sizeFromEnv('BENCH_BASE_SMALL', 10_000);
  const baseLarge = sizeFromEnv('BENCH_BASE_LARGE', 1_000_000);
  const h = await startAnalyticsHarness(stack);
  try {
    process.stdout.write(`aggregate: ${fmt(changes)} changes over ${fmt(baseSmall)} stored sales…\n`);
    const small = await costWithBase(h, baseSmall, changes);
    process.stdout.write(`aggregate: ${fmt(changes)} changes over ${fmt(baseLarge)} stored sales…\n`);
    const large = await costWithBase(h, baseLarge, changes);
    const ratio = large.msPerChange / small.msPerChange;
    return {
      figures: { changes, small, large, ratio },
      markdown: [
        `## aggregate — the analytics worker's cost per change, ${fmt(baseLarge)} vs ${fmt(baseSmall)} sales stored`,
        '',
        ...costMarkdown(changes, small, large),
      ],
    };
  } finally {
    await h.stop();
  }
}
