/**
 * cost — what the whole pipeline costs at a set rate, and where its latency goes (issue 13).
 *
 * The four workers run as child processes (producer --follow on a file this bench appends to, consumer,
 * analytics, notifier against a fake Slack) on the part's native stack. The bench appends BENCH_RATE
 * sales/s (300) without a break: BENCH_WARMUP_SECONDS (60) of warm-up, then a window of BENCH_SECONDS (60).
 *
 *  - CPU: the CPU time of each process tree (PostgreSQL: the postmaster and all its backends; the Kafka
 *    broker JVM; the Connect JVM; each worker), from /proc/<pid>/stat (utime+stime+cutime+cstime over the
 *    root and its live descendants) at the start and the end of the window: ms per sale appended in the
 *    window and % of one core, per process and for the whole stack.
 *  - idle: once the load stopped and the pipeline caught up (every sale aggregated, every milestone
 *    recorded, no offset moving for 2 s), the same readings over BENCH_IDLE_SECONDS (30) with nothing fed.
 *  - amplification over the window: WAL bytes, transactions committed and tuples written (pg_stat_database),
 *    messages (Kafka end offsets, transaction markers included) per sale.
 *  - latency per hop, for every sale appended in the window, each timestamp read after the idle window:
 *      appended (the bench's clock after the write) → read by the producer (`sales.line_seen_at`) → sent
 *      (the `sales` record's CreateTime, which kafkajs stamps when it encodes the produce request) →
 *      committed in Kafka (the timestamp of the transaction's COMMIT marker that follows the record in its
 *      partition: the broker writes it when the transaction commits, and read_committed consumers see the
 *      record from then on) → `sales` row committed (pg_xact_commit_timestamp of its xmin) → Debezium read
 *      the change (the event's `ts_ms`) → change event in Kafka (the `cdc.public.sales` record's
 *      timestamp, set by Connect's producer) → aggregates committed (the `analytics.sale_facts` row's
 *      commit) → milestone recorded (as the latency part: the commit of the inserting transaction of the
 *      milestone, after the aggregates commit of the sale that crossed the step).
 *    p50/p99/max/mean of each hop over the sales that have every timestamp, so the mean hops add up to the
 *    mean end-to-end.
 */
import path from 'node:path';
import { REPO_ROOT, loadStackConfig, nativeComponentPid, type RunningStack } from '@sales-pipeline/stack';
import { fmt, sizeFromEnv, sleep } from '../bench-stack.ts';
import { milestoneStamps } from '../lib/commit-stamps.ts';
import { feedTotals, milestonesOf, rowCrossing } from '../lib/feed-totals.ts';
import { startLivePipeline } from '../lib/live-pipeline.ts';
import { kafkaOf, type PartResult } from '../lib/part.ts';
import { cpuBetween, cpuSnapshot, ownCpuMs, type CpuSnapshot } from '../lib/proc-cpu.ts';
import { costResult } from './cost/cost-report.ts';
import { STACK, cpuFigures } from './cost/cpu-figures.ts';
import { hopLatencies } from './cost/hop-latency.ts';
import { readHopStamps } from './cost/hop-stamps.ts';
import { amplification, readCounters, waitForOffsetsAtRest, type Counters } from './cost/stack-counters.ts';

export { COST_TARGETS } from './cost/cost-report.ts';
/** Lines appended first, before the timed warm-up: every worker joins its group and sees rows go through. */
const PRELOAD = 200;

/** The root pid of each of the stack's process trees: a part's stack lives in .stack/bench-<part>. */
export function stackRoots(part = 'cost'): Record<string, number> {
  const config = loadStackConfig({
    ...process.env,
    SALES_PIPELINE_HOME: path.join(REPO_ROOT, '.stack', `bench-${part}`),
  });
  const roots: Record<string, number> = {};
  for (const component of STACK) {
    const pid = nativeComponentPid(config, component);
    if (pid === undefined) throw new Error(`no running ${component} in ${config.home}`);
    roots[component] = pid;
  }
  return roots;
}

export async function cost(stack: RunningStack): Promise<PartResult> {
  const ratePerSecond = sizeFromEnv('BENCH_RATE', 300);
  const warmupSeconds = sizeFromEnv('BENCH_WARMUP_SECONDS', 60);
  const seconds = sizeFromEnv('BENCH_SECONDS', 60);
  const idleSeconds = sizeFromEnv('BENCH_IDLE_SECONDS', 30);
  const wantedMilestones = sizeFromEnv('BENCH_MILESTONES', 20);
  const windowFrom = PRELOAD + ratePerSecond * warmupSeconds; // first row of the window
  const total = windowFrom + ratePerSecond * seconds;
  const windowSales = total - windowFrom;
  const roots = stackRoots();

  // Milestone rules sized to fire about BENCH_MILESTONES times on revenue during the window (as latency).
  const totals = feedTotals(total);
  const windowRevenueEuros = (totals.revenueCents - (totals.cumRevenueCents[windowFrom - 1] ?? 0)) / 100;
  const revenueStepEuros = Math.max(1, Math.round(windowRevenueEuros / wantedMilestones));
  const windowUnitsPerProduct = Math.min(
    ...[...totals.cumUnits.values()].map((cum) => (cum[total - 1] ?? 0) - (cum[windowFrom - 1] ?? 0)),
  );
  const productUnitsStep = Math.max(1, Math.round(windowUnitsPerProduct / 5));
  const expectedMilestones = milestonesOf(totals, revenueStepEuros, productUnitsStep);

  const live = await startLivePipeline(stack, 'cost', { rows: total, revenueStepEuros, productUnitsStep });
  const { db, feed, workers } = live;
  const admin = kafkaOf(stack).admin();
  try {
    await admin.connect();
    for (const w of workers) roots[w.name] = w.child.pid as number;
    const counters = () => readCounters(db, admin);

    // Preload: every worker has joined its group and the first rows went all the way through.
    process.stdout.write('cost: starting the four workers…\n');
    feed.append(PRELOAD);
    await live.whileAlive(live.waitUntilFlowing(PRELOAD, `${PRELOAD} preloaded rows in the aggregates`));

    // Warm-up then the window, one steady stream, stopped at the window's first row to read the counters.
    process.stdout.write(
      `cost: ${fmt(ratePerSecond)} sales/s: ${warmupSeconds} s warm-up, then a ${seconds} s window…\n`,
    );
    type Reading = { cpu: CpuSnapshot; bench: number; counters: Promise<Counters> };
    const reading = (): Reading => ({ cpu: cpuSnapshot(roots), bench: ownCpuMs(), counters: counters() });
    let start: Reading | undefined;
    await live.whileAlive(
      feed.appendAtRate(ratePerSecond, total, {
        row: windowFrom,
        reached: () => {
          start = reading();
          process.stdout.write('cost: window started\n');
        },
      }),
    );
    const end = reading();
    feed.close();
    if (!start) throw new Error('the window was not read');
    const cpu = cpuBetween(start.cpu, end.cpu);
    const benchCpuMs = end.bench - start.bench;
    const [startCounters, endCounters] = await Promise.all([start.counters, end.counters]);
    const achieved = Math.round((windowSales * 1000) / cpu.windowMs);

    // Caught up: every sale aggregated, every milestone recorded, then no offset moving for 2 s.
    const caughtUpStarted = Date.now();
    await live.whileAlive(
      (async () => {
        await live.waitForEverySale(total, expectedMilestones);
        await waitForOffsetsAtRest(db, admin);
      })(),
    );
    const caughtUpMs = Date.now() - caughtUpStarted;

    // Idle: nothing fed, for BENCH_IDLE_SECONDS (the window itself is the measurement).
    process.stdout.write(
      `cost: caught up in ${(caughtUpMs / 1000).toFixed(1)} s; idle window of ${idleSeconds} s…\n`,
    );
    const idleStart = { cpu: cpuSnapshot(roots), bench: ownCpuMs() };
    await live.whileAlive(sleep(idleSeconds * 1000));
    const idleEnd = { cpu: cpuSnapshot(roots), bench: ownCpuMs() };
    const idle = cpuBetween(idleStart.cpu, idleEnd.cpu);

    // The timestamps of every sale of the window; milestones, after the aggregates of the sale that
    // crossed the step were committed.
    process.stdout.write('cost: reading the timestamps of the window’s sales…\n');
    const { stamp, withoutMarker } = await readHopStamps(stack, db, {
      from: windowFrom,
      to: total,
      appendedAt: feed.appendedAt,
    });
    const milestoneRows = await milestoneStamps(db);
    const aggregateToMilestone: number[] = [];
    const appendedToMilestone: number[] = [];
    for (const m of milestoneRows) {
      const row = rowCrossing(totals, m);
      if (row === undefined) continue;
      const i = row - windowFrom;
      if (i < 0 || i >= windowSales) continue;
      aggregateToMilestone.push(m.committed - (stamp.aggregated[i] ?? Number.NaN));
      appendedToMilestone.push(m.committed - (stamp.appended[i] ?? Number.NaN));
    }
    const memory = await live.stopWorkers();

    return costResult({
      rate: { target: ratePerSecond, achieved, warmupSeconds, seconds, idleSeconds, windowSales },
      cpu,
      idle,
      caughtUpMs,
      cpuFigures: cpuFigures(cpu, idle, windowSales),
      benchCpuMs,
      idleBenchMs: idleEnd.bench - idleStart.bench,
      latency: hopLatencies(stamp, { aggregateToMilestone, appendedToMilestone }),
      salesRecordsWithoutCommitMarker: withoutMarker,
      amplification: await amplification(db, startCounters, endCounters, windowSales),
      milestones: {
        expected: expectedMilestones,
        recorded: milestoneRows.length,
        revenueStepEuros,
        productUnitsStep,
      },
      memory,
    });
  } finally {
    await live.close();
    await admin.disconnect().catch(() => undefined);
  }
}
