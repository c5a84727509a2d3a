/**
 * npm run bench:analytics —
 *  1. latency at a steady BENCH_RATE sales/s (default 1,000) for BENCH_SECONDS (default 30): from a sale's
 *     commit to its effect on the aggregates (p50/p99), through Debezium and the analytics worker;
 *  2. the worker's cost per change (time in its batch transactions / changes) for BENCH_CHANGES new sales
 *     (default 20,000) with BENCH_BASE_SMALL (10,000) and then BENCH_BASE_LARGE (1,000,000) sales already
 *     in the table, and the ratio (it must not grow with the table).
 */
import pg from 'pg';
import { analyze, loadAnalyticsConfig } from '@sales-pipeline/analytics';
import { createLogger } from '@sales-pipeline/platform';
import { benchStack, report, sizeFromEnv } from './bench-stack.ts';

const ratePerSecond = sizeFromEnv('BENCH_RATE', 1_000);
const seconds = sizeFromEnv('BENCH_SECONDS', 30);
const changes = sizeFromEnv('BENCH_CHANGES', 20_000);
const baseSmall = sizeFromEnv('BENCH_BASE_SMALL', 10_000);
const baseLarge = sizeFromEnv('BENCH_BASE_LARGE', 1_000_000);
const stack = await benchStack('analytics');
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
async function insert(count: number): Promise<void> {
  const from = counter;
  counter += count;
  await db.query(
    `INSERT INTO sales (sale_id, sold_on, product_id, store_id, quantity, unit_price, amount, status, feed, line_number)
     SELECT $1 || '/0/' || i, DATE '2024-01-01' + (i % 365)::int, 'B1', 'S1', (1 + i % 5)::int, 10.00, 10.00 * (1 + i % 5), 'complete', $1, i
       FROM generate_series($2::bigint, $3::bigint) i`,
    [`bench-${run}`, from + 2, from + count + 1],
  );
}
const countedSales = async () =>
  Number(
    (await db.query<{ sales: string }>('SELECT sales FROM analytics.revenue_total WHERE id = 1')).rows[0]
      ?.sales,
  );
async function waitForSales(target: number, pollMs = 5): Promise<number> {
  for (;;) {
    const current = await countedSales();
    if (current >= target) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

// The worker runs in this process, so its batch times are measured directly.
let batchMs = 0;
let batchChanges = 0;
const stop = new AbortController();
const config = loadAnalyticsConfig({
  KAFKA_BROKERS: stack.endpoints.kafkaBrokers,
  DATABASE_URL: stack.secrets.databaseUrl,
  ANALYTICS_GROUP: 'sales-pipeline.analytics',
  LOG_LEVEL: 'warn',
});
const worker = analyze(config, createLogger('bench-analytics', 'warn'), stop.signal, {
  afterBatch: (n, ms) => {
    batchChanges += n;
    batchMs += ms;
  },
});
const catchUp = async () => {
  const expected = Number(
    (await db.query<{ n: string }>(`SELECT count(*) AS n FROM sales WHERE status = 'complete'`)).rows[0]?.n,
  );
  await waitForSales(expected, 50);
};
await insert(1);
await catchUp();

// 1. Latency at a steady rate: every 50 ms, 1/20 of a second's sales in one transaction.
const tick = 50;
const perTick = Math.max(1, Math.round((ratePerSecond * tick) / 1000));
const latencies: number[] = [];
const pending: Array<{ target: number; committedAt: number }> = [];
let baseline = await countedSales();
let measuring = true;
const watcher = (async () => {
  while (measuring || pending.length > 0) {
    const current = await countedSales();
    const now = Date.now();
    while (pending.length > 0 && (pending[0]?.target ?? Infinity) <= current)
      latencies.push(now - (pending.shift()?.committedAt ?? now));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
})();
const ticks = Math.round((seconds * 1000) / tick);
const started = Date.now();
for (let i = 0; i < ticks; i++) {
  await insert(perTick);
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
const achievedRate = Math.round((ticks * perTick * 1000) / (Date.now() - started));

// 2. Cost per change with a small and a large table.
async function costWithBase(
  base: number,
): Promise<{ base: number; msPerChange: number; changesPerSecond: number }> {
  await db.query('TRUNCATE sales'); // not captured: the aggregates keep what they had, the table starts over
  const before = await countedSales();
  for (let done = 0; done < base; done += 100_000) await insert(Math.min(100_000, base - done));
  await waitForSales(before + base, 50);
  batchMs = 0;
  batchChanges = 0;
  const target = (await countedSales()) + changes;
  for (let done = 0; done < changes; done += 500) await insert(Math.min(500, changes - done));
  await waitForSales(target, 20);
  return {
    base,
    msPerChange: batchMs / batchChanges,
    changesPerSecond: Math.round((batchChanges * 1000) / batchMs),
  };
}
const small = await costWithBase(baseSmall);
const large = await costWithBase(baseLarge);
stop.abort();
await worker;
await db.query('TRUNCATE sales');
await db.end();

report(
  'analytics',
  {
    rate: {
      target: ratePerSecond,
      achieved: achievedRate,
      seconds,
      p50Ms: pct(50),
      p99Ms: pct(99),
      maxMs: latencies.at(-1),
      samples: latencies.length,
    },
    small,
    large,
    costRatio: large.msPerChange / small.msPerChange,
  },
  [
    `## Analytics: commit → aggregate latency at ${achievedRate.toLocaleString('en')} sales/s for ${seconds} s (through Debezium)`,
    '',
    `p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1)} ms (${latencies.length} samples, one per 50 ms transaction)`,
    '',
    `## Cost per change (${changes.toLocaleString('en')} new sales; time in the worker's batch transactions)`,
    '',
    '| sales already stored | ms per change | changes/s |',
    '| ---: | ---: | ---: |',
    `| ${small.base.toLocaleString('en')} | ${small.msPerChange.toFixed(4)} | ${small.changesPerSecond.toLocaleString('en')} |`,
    `| ${large.base.toLocaleString('en')} | ${large.msPerChange.toFixed(4)} | ${large.changesPerSecond.toLocaleString('en')} |`,
    '',
    `ratio large / small: **${(large.msPerChange / small.msPerChange).toFixed(2)}**`,
  ],
);
await stack.down();
process.exit(0);
