/**
 * latency — at a steady BENCH_RATE sales/s (default 1,000) for BENCH_SECONDS (default 30), with the four
 * workers running as child processes (producer --follow on a file this bench appends to, consumer,
 * analytics, notifier against a fake Slack), the time from a line appended to the feed to:
 *  - its `sales` row committed (pg_xact_commit_timestamp of the row's xmin; track_commit_timestamp is on);
 *  - the aggregates updated: its `analytics.sale_facts` row, written in the analytics batch transaction that
 *    moved the aggregates, committed;
 *  - the milestone recorded: the commit of the `milestones` row (its inserting transaction, captured by a
 *    bench-only trigger, since the sender updates the row right after) minus the append time of the line
 *    after which the feed's cumulative total first crossed the milestone's step. Rules: revenue steps and
 *    product unit steps sized to fire about BENCH_MILESTONES (20) and 25 times during the run.
 * p50 / p99 / max of each, against the targets, and the peak memory of the four workers.
 */
import { PRODUCER_LINGER_DEFAULT_MS } from '@sales-pipeline/producer';
import type { RunningStack } from '@sales-pipeline/stack';
import { fmt, sizeFromEnv, sleep, summarize } from '../bench-stack.ts';
import { aggregateStamps, milestoneStamps, salesRowStamps } from '../lib/commit-stamps.ts';
import { feedTotals, milestonesOf, rowCrossing } from '../lib/feed-totals.ts';
import { startLivePipeline } from '../lib/live-pipeline.ts';
import type { PartResult } from '../lib/part.ts';

export const LATENCY_TARGETS = { rowP99Ms: 50, aggregateP99Ms: 300, milestoneP99Ms: 500 };
const WARMUP = 200;

export async function latency(stack: RunningStack): Promise<PartResult> {
  const ratePerSecond = sizeFromEnv('BENCH_RATE', 1_000);
  const seconds = sizeFromEnv('BENCH_SECONDS', 30);
  const wantedMilestones = sizeFromEnv('BENCH_MILESTONES', 20);
  const measured = ratePerSecond * seconds;
  const total = WARMUP + measured;

  // What the feed's cumulative totals will be after each row, to find the row that crossed a step.
  const totals = feedTotals(total);
  const runRevenueEuros = (totals.revenueCents - (totals.cumRevenueCents[WARMUP - 1] ?? 0)) / 100;
  const revenueStepEuros = Math.max(1, Math.round(runRevenueEuros / wantedMilestones));
  const unitsPerProduct = Math.min(...[...totals.units.values()]) - WARMUP * 5;
  const productUnitsStep = Math.max(1, Math.round(unitsPerProduct / 5));
  const expectedMilestones = milestonesOf(totals, revenueStepEuros, productUnitsStep);

  const live = await startLivePipeline(stack, 'latency', { rows: total, revenueStepEuros, productUnitsStep });
  const { db, feed, slack } = live;
  try {
    // Warm-up: every worker has joined its group and the first rows went all the way through.
    process.stdout.write('latency: warming up the four workers…\n');
    feed.append(WARMUP);
    await live.whileAlive(live.waitUntilFlowing(WARMUP, `${WARMUP} warm-up rows in the aggregates`));
    await sleep(2000);

    // The steady run.
    process.stdout.write(`latency: ${fmt(ratePerSecond)} sales/s for ${seconds} s…\n`);
    const started = Date.now();
    await live.whileAlive(feed.appendAtRate(ratePerSecond, total));
    const runMs = Date.now() - started;
    feed.close();
    await live.whileAlive(live.waitForEverySale(total, expectedMilestones));

    const appendedAt = (row: number) => feed.appendedAt[row] ?? Number.NaN;
    const lineToRow = (await salesRowStamps(db, WARMUP + 2, total + 1)).map(
      (r) => r.committed - appendedAt(r.line - 2),
    );
    const lineToAggregate = (await aggregateStamps(db))
      .filter((r) => r.line >= WARMUP + 2)
      .map((r) => r.committed - appendedAt(r.line - 2));
    const milestoneRows = await milestoneStamps(db);
    const lineToMilestone: number[] = [];
    for (const m of milestoneRows) {
      const row = rowCrossing(totals, m);
      if (row === undefined || row < WARMUP) continue;
      lineToMilestone.push(m.committed - appendedAt(row));
    }
    const memory = await live.stopWorkers();

    const row = summarize(lineToRow);
    const aggregate = summarize(lineToAggregate);
    const milestone = summarize(lineToMilestone);
    const achieved = Math.round((measured * 1000) / runMs);
    const t = LATENCY_TARGETS;
    const ok = (v: number, target: number) => (v <= target ? 'met' : 'missed');
    return {
      figures: {
        rate: { target: ratePerSecond, achieved, seconds, lines: measured },
        rules: { revenueStepEuros, productUnitsStep },
        lineToRow: row,
        lineToAggregate: aggregate,
        lineToMilestone: { ...milestone, expected: expectedMilestones, recorded: milestoneRows.length },
        targets: t,
        meetsTargets: {
          rowP99: row.p99Ms <= t.rowP99Ms,
          aggregateP99: aggregate.p99Ms <= t.aggregateP99Ms,
          milestoneP99: milestone.p99Ms <= t.milestoneP99Ms,
        },
        slackPosts: slack.posted.length,
        memory,
      },
      markdown: [
        `## latency — feed line → … at ${fmt(achieved)} sales/s for ${seconds} s (four workers, Debezium, fake Slack)`,
        '',
        '| from a line appended to the feed to | samples | p50 | p99 | max | target |',
        '| --- | ---: | ---: | ---: | ---: | --- |',
        `| its \`sales\` row committed | ${fmt(row.samples)} | ${row.p50Ms} ms | ${row.p99Ms} ms | ${row.maxMs} ms | p99 ≤ ${t.rowP99Ms} ms: ${ok(row.p99Ms, t.rowP99Ms)} |`,
        `| the aggregates updated (its \`sale_facts\` row committed) | ${fmt(aggregate.samples)} | ${aggregate.p50Ms} ms | ${aggregate.p99Ms} ms | ${aggregate.maxMs} ms | p99 ≤ ${t.aggregateP99Ms} ms: ${ok(aggregate.p99Ms, t.aggregateP99Ms)} |`,
        `| the milestone it crossed recorded | ${fmt(milestone.samples)} | ${milestone.p50Ms} ms | ${milestone.p99Ms} ms | ${milestone.maxMs} ms | p99 ≤ ${t.milestoneP99Ms} ms: ${ok(milestone.p99Ms, t.milestoneP99Ms)} |`,
        '',
        `Rules: every ${fmt(revenueStepEuros)} € of revenue, every ${fmt(productUnitsStep)} units of a product; ${milestoneRows.length} of ${expectedMilestones} expected milestones recorded. Commit times from \`track_commit_timestamp\`; the producer is woken by the file's changes (inotify) and lingers \`PRODUCER_LINGER_MS\` (${process.env.PRODUCER_LINGER_MS ?? PRODUCER_LINGER_DEFAULT_MS} ms) before it reads.`,
      ],
    };
  } finally {
    await live.close();
  }
}
