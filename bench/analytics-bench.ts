/**
 * npm run bench:analytics —
 *  1. latency at a steady BENCH_RATE sales/s (default 1,000) for BENCH_SECONDS (default 30): from a sale's
 *     commit to its effect on the aggregates (p50/p99), through Debezium and the analytics worker;
 *  2. the worker's cost per change (see bench/parts/aggregate.ts, also `npm run bench -- aggregate`) for
 *     BENCH_CHANGES new sales with BENCH_BASE_SMALL and then BENCH_BASE_LARGE sales already stored.
 */
import { benchStack, report, sizeFromEnv } from './bench-stack.ts';
import {
  commitToAggregateLatency,
  costMarkdown,
  costWithBase,
  startAnalyticsHarness,
} from './parts/aggregate.ts';

const ratePerSecond = sizeFromEnv('BENCH_RATE', 1_000);
const seconds = sizeFromEnv('BENCH_SECONDS', 30);
const changes = sizeFromEnv('BENCH_CHANGES', 20_000);
const baseSmall = sizeFromEnv('BENCH_BASE_SMALL', 10_000);
const baseLarge = sizeFromEnv('BENCH_BASE_LARGE', 1_000_000);
const stack = await benchStack('analytics');
const h = await startAnalyticsHarness(stack);
const rate = await commitToAggregateLatency(h, ratePerSecond, seconds);
const small = await costWithBase(h, baseSmall, changes);
const large = await costWithBase(h, baseLarge, changes);
await h.stop();

report('analytics', { rate, small, large, costRatio: large.msPerChange / small.msPerChange }, [
  `## Analytics: commit → aggregate latency at ${rate.achieved.toLocaleString('en')} sales/s for ${seconds} s (through Debezium)`,
  '',
  `p50 ${rate.p50Ms} ms, p99 ${rate.p99Ms} ms, max ${rate.maxMs} ms (${rate.samples} samples, one per 50 ms transaction)`,
  '',
  `## Cost per change (${changes.toLocaleString('en')} new sales; time in the worker's batch transactions)`,
  '',
  ...costMarkdown(changes, small, large),
]);
await stack.down();
process.exit(0);
