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
import fs from 'node:fs';
import path from 'node:path';
import type { RunningStack } from '@sales-pipeline/stack';
import { FakeSlack } from '../../test-support/fake-slack.ts';
import { adminClient, fmt, sizeFromEnv, sleep, summarize, until } from '../bench-stack.ts';
import { PRODUCTS, SALES_HEADER, csvLine, saleRow, tempDir, writeReferenceFiles } from '../lib/feed.ts';
import { waitForGroup, type PartResult } from '../lib/part.ts';
import { startWorker, whileAlive, workerEnv, type Worker } from '../lib/workers.ts';

export const LATENCY_TARGETS = { rowP99Ms: 50, aggregateP99Ms: 300, milestoneP99Ms: 500 };
const WARMUP = 200;

export async function latency(stack: RunningStack): Promise<PartResult> {
  const ratePerSecond = sizeFromEnv('BENCH_RATE', 1_000);
  const seconds = sizeFromEnv('BENCH_SECONDS', 30);
  const wantedMilestones = sizeFromEnv('BENCH_MILESTONES', 20);
  const measured = ratePerSecond * seconds;
  const total = WARMUP + measured;

  // What the feed's cumulative totals will be after each row, to find the row that crossed a step.
  const cumRevenueCents = new Float64Array(total);
  const cumUnits = new Map(PRODUCTS.map((p) => [p.id, new Float64Array(total)]));
  let revenue = 0;
  const units = new Map(PRODUCTS.map((p) => [p.id, 0]));
  for (let i = 0; i < total; i++) {
    const s = saleRow(i);
    revenue += s.amountCents;
    cumRevenueCents[i] = revenue;
    units.set(s.productId, (units.get(s.productId) ?? 0) + s.quantity);
    for (const [id, arr] of cumUnits) arr[i] = units.get(id) ?? 0;
  }
  const runRevenueEuros = (revenue - (cumRevenueCents[WARMUP - 1] ?? 0)) / 100;
  const revenueStepEuros = Math.max(1, Math.round(runRevenueEuros / wantedMilestones));
  const unitsPerProduct = Math.min(...[...units.values()]) - WARMUP * 5;
  const productUnitsStep = Math.max(1, Math.round(unitsPerProduct / 5));
  const firstRowReaching = (cum: Float64Array, value: number) => {
    let lo = 0;
    let hi = cum.length - 1;
    if ((cum[hi] ?? 0) < value) return -1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] ?? 0) >= value) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  let expectedMilestones = Math.floor(revenue / 100 / revenueStepEuros);
  for (const u of units.values()) expectedMilestones += Math.floor(u / productUnitsStep);

  const dir = tempDir('latency');
  const refs = writeReferenceFiles(dir);
  const feedFile = path.join(dir, 'bench.csv');
  fs.writeFileSync(feedFile, SALES_HEADER);
  const rulesFile = path.join(dir, 'rules.json');
  fs.writeFileSync(
    rulesFile,
    JSON.stringify({
      stepSeries: 'multiples',
      revenueStepEuros,
      productUnitsStep,
      bigSaleEuros: 0,
      storeBestDay: false,
    }),
  );
  const slack = new FakeSlack();
  const slackUrl = await slack.start();

  const db = await adminClient(stack);
  // Bench-only: the transaction that inserted each milestone (the sender's update changes the row's xmin).
  await db.query(`
    CREATE TABLE bench_milestone_tx (milestone_id bigint PRIMARY KEY, xid xid8 NOT NULL);
    CREATE FUNCTION bench_milestone_tx() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
      BEGIN INSERT INTO bench_milestone_tx VALUES (NEW.milestone_id, pg_current_xact_id()); RETURN NEW; END $$;
    CREATE TRIGGER bench_milestone_tx AFTER INSERT ON milestones FOR EACH ROW EXECUTE FUNCTION bench_milestone_tx();
  `);

  const env = workerEnv(stack);
  const workers: Worker[] = [];
  const stopAll = () => Promise.all(workers.map((w) => w.stop()));
  try {
    workers.push(
      startWorker(
        'producer',
        ['produce', '--follow', '--sales', feedFile, '--products', refs.products, '--stores', refs.stores],
        env,
      ),
      startWorker('consumer', ['consume'], env),
      startWorker('analytics', ['analytics'], env),
      startWorker('notifier', ['notify'], {
        ...env,
        SLACK_BOT_TOKEN: slack.token,
        SLACK_CHANNEL: slack.channel,
        SLACK_API_URL: slackUrl,
        MILESTONE_RULES_FILE: rulesFile,
      }),
    );
    const out = fs.openSync(feedFile, 'a');
    const appendedAt = new Float64Array(total);
    const append = (from: number, to: number) => {
      let chunk = '';
      for (let i = from; i < to; i++) chunk += csvLine(i);
      fs.writeSync(out, chunk);
      const now = Date.now();
      for (let i = from; i < to; i++) appendedAt[i] = now;
    };
    const factsCount = async () =>
      Number(
        (await db.query<{ n: string }>('SELECT count(*) AS n FROM analytics.sale_facts')).rows[0]?.n ?? 0,
      );

    // Warm-up: every worker has joined its group and the first rows went all the way through.
    process.stdout.write('latency: warming up the four workers…\n');
    append(0, WARMUP);
    await whileAlive(
      workers,
      (async () => {
        for (const group of [
          'sales-pipeline.consumer',
          'sales-pipeline.analytics',
          'sales-pipeline.notifier',
        ])
          await waitForGroup(stack, group);
        await until(
          `${WARMUP} warm-up rows in the aggregates`,
          async (saw) => {
            const n = await factsCount();
            saw(`${n} rows in analytics.sale_facts`);
            return n >= WARMUP ? true : undefined;
          },
          { timeoutMs: 300_000, stallMs: 180_000 },
        );
      })(),
    );
    await sleep(2000);

    // The steady run: every 5 ms, the lines due by then.
    process.stdout.write(`latency: ${fmt(ratePerSecond)} sales/s for ${seconds} s…\n`);
    const started = Date.now();
    let written = WARMUP;
    await whileAlive(
      workers,
      (async () => {
        while (written < total) {
          const due = Math.min(total, WARMUP + Math.floor(((Date.now() - started) * ratePerSecond) / 1000));
          if (due > written) {
            append(written, due);
            written = due;
          }
          await sleep(5);
        }
      })(),
    );
    const runMs = Date.now() - started;
    fs.closeSync(out);
    await whileAlive(
      workers,
      (async () => {
        await until(
          'every sale in the aggregates',
          async (saw) => {
            const n = await factsCount();
            saw(`${n} of ${total} rows in analytics.sale_facts`);
            return n >= total ? true : undefined;
          },
          { intervalMs: 250, timeoutMs: 300_000 },
        );
        await until(
          'every milestone',
          async (saw) => {
            const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM bench_milestone_tx');
            saw(`${Number(rows[0]?.n)} of ${expectedMilestones} milestones`);
            return Number(rows[0]?.n) >= expectedMilestones ? true : undefined;
          },
          { intervalMs: 250, timeoutMs: 60_000 },
        ).catch((error: unknown) =>
          process.stdout.write(`latency: ${error instanceof Error ? error.message : String(error)}\n`),
        );
      })(),
    );

    const epochMs = 'extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000';
    const lineToRow = (
      await db.query<{ line: string; at: number }>(
        `SELECT line_number AS line, ${epochMs} AS at FROM sales WHERE line_number >= $1`,
        [WARMUP + 2],
      )
    ).rows.map((r) => Number(r.at) - (appendedAt[Number(r.line) - 2] ?? Number.NaN));
    const lineToAggregate = (
      await db.query<{ sale_id: string; at: number }>(
        `SELECT sale_id, ${epochMs} AS at FROM analytics.sale_facts`,
      )
    ).rows
      .map((r) => ({ line: Number(r.sale_id.split('/')[2]), at: Number(r.at) }))
      .filter((r) => r.line >= WARMUP + 2)
      .map((r) => r.at - (appendedAt[r.line - 2] ?? Number.NaN));
    const milestoneRows = (
      await db.query<{ rule: string; subject: string; step: string; at: number }>(
        `SELECT m.rule, m.subject, m.step::text AS step,
                extract(epoch FROM pg_xact_commit_timestamp((t.xid::text)::xid)) * 1000 AS at
           FROM milestones m JOIN bench_milestone_tx t USING (milestone_id)`,
      )
    ).rows;
    const lineToMilestone: number[] = [];
    for (const m of milestoneRows) {
      const cum = m.rule === 'revenue_total' ? cumRevenueCents : cumUnits.get(m.subject);
      if (!cum) continue;
      const row = firstRowReaching(cum, Number(m.step) * (m.rule === 'revenue_total' ? 100 : 1));
      if (row < WARMUP) continue;
      lineToMilestone.push(Number(m.at) - (appendedAt[row] ?? Number.NaN));
    }
    await stopAll();
    const memory = Object.fromEntries(workers.map((w) => [`${w.name}PeakMb`, w.peakMb()]));

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
        `Rules: every ${fmt(revenueStepEuros)} € of revenue, every ${fmt(productUnitsStep)} units of a product; ${milestoneRows.length} of ${expectedMilestones} expected milestones recorded. Commit times from \`track_commit_timestamp\`; the producer is woken by the file's changes (inotify) and lingers \`PRODUCER_LINGER_MS\` (${process.env.PRODUCER_LINGER_MS ?? 20} ms) before it reads.`,
      ],
    };
  } finally {
    await stopAll();
    await slack.stop();
    await db.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
