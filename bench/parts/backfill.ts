/**
 * backfill — history through the whole running pipeline, as a user loads it: the four workers (a live
 * feed at BENCH_BACKFILL_LIVE_RATE sales/s, 50 by default), Debezium and a fake Slack running, then
 * `sales-pipeline backfill` of BENCH_BACKFILL_ROWS lines (BENCH_ROWS, 1,000,000):
 *   1. rows into `sales`: from the command's start to the last history row committed, against COPY of the
 *      same final rows into a table shaped like `sales` in the same database, same run (target ≥ 0.35×);
 *      the backfill starts once Debezium's walsender has decoded that COPY's WAL (else live changes wait
 *      behind it, not behind the backfill);
 *   2. the aggregates: how long after the last row the command returned (it returns once the aggregates
 *      count every history sale and the notifier is past their changes; target ≤ 2× the ingest time);
 *   3. the live feed: p50/p99 line → aggregates of its lines alone, then during the backfill (target: p99
 *      during ≤ 2× alone), and its hops (line → row → read by Debezium → change event in Kafka →
 *      aggregates), with the walsender's lag behind the WAL and its CPU every 0.5 s;
 *   4. the CPU of each process in both windows, the peak memory of each worker and of the backfill, and
 *      the Slack posts the backfill made (one summary).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunningStack } from '@sales-pipeline/stack';
import { fmt, secs, sizeFromEnv, summarize, until } from '../bench-stack.ts';
import { lineOfSaleId } from '../lib/commit-stamps.ts';
import { copySalesRows } from '../lib/copy-rows.ts';
import { tempDir, writeFeed, writeSalesCopyFile } from '../lib/feed.ts';
import { startLivePipeline } from '../lib/live-pipeline.ts';
import type { PartResult } from '../lib/part.ts';
import { pgBackendCpuMeter } from '../lib/pg-backend-cpu.ts';
import { cpuMeter, cpuPerSaleText } from '../lib/proc-cpu.ts';
import { replicationLagMeter, walsenderThrough, type LagSample } from '../lib/replication-lag.ts';
import { startWorker, whileAlive, workerEnv } from '../lib/workers.ts';
import { stackRoots } from './cost.ts';
import { readChangeEventStamps } from './cost/hop-stamps.ts';

export const BACKFILL_TARGETS = { copyRatio: 0.35, catchUpRatio: 2, liveP99Ratio: 2 };
const WARMUP = 200;
const ALONE_SECONDS = 30;
/** The longest a backfill may take here: the live feed's capacity. */
const MAX_SECONDS = 3_600;

export async function backfill(stack: RunningStack): Promise<PartResult> {
  const rows = sizeFromEnv('BENCH_BACKFILL_ROWS', sizeFromEnv('BENCH_ROWS', 1_000_000));
  const liveRate = sizeFromEnv('BENCH_BACKFILL_LIVE_RATE', 50);
  const live = await startLivePipeline(stack, 'backfill', {
    rows: WARMUP + liveRate * (ALONE_SECONDS + MAX_SECONDS),
    revenueStepEuros: 100_000,
    productUnitsStep: 10_000,
  });
  const { db, feed, slack } = live;
  const dir = tempDir('backfill-history');
  const historyFile = path.join(dir, 'history.csv');
  const copyFile = path.join(dir, 'history.copy');
  try {
    process.stdout.write(`backfill: writing a ${fmt(rows)}-line history…\n`);
    writeFeed(historyFile, rows);
    writeSalesCopyFile(copyFile, 'history', rows);

    // The live feed's lines → their row in `sales` committed → read by Debezium (the change event's
    // `ts_ms`) → the change event in Kafka (its record's timestamp) → their aggregates committed (the live
    // feed is `bench`): the whole path and its hops, to tell where a live sale waits behind the history.
    // Read once everything is in (the change events of both windows in one pass over the topic).
    const liveStamps = async () => {
      const { rows: facts } = await db.query<{ sale_id: string; row_at: number; fact_at: number }>(
        `SELECT f.sale_id,
                extract(epoch FROM pg_xact_commit_timestamp(s.xmin)) * 1000 AS row_at,
                extract(epoch FROM pg_xact_commit_timestamp(f.xmin)) * 1000 AS fact_at
           FROM analytics.sale_facts f JOIN sales s USING (sale_id)
          WHERE f.sale_id LIKE 'bench/%'`,
      );
      const written = feed.written;
      const change = {
        debeziumRead: new Float64Array(written).fill(Number.NaN),
        changeInKafka: new Float64Array(written).fill(Number.NaN),
      };
      await readChangeEventStamps(stack, change, (saleId) => {
        const row = lineOfSaleId(saleId) - 2;
        return saleId.startsWith('bench/') && row >= 0 && row < written ? row : -1;
      });
      const lines = facts.map((f) => {
        const row = lineOfSaleId(f.sale_id) - 2;
        return {
          row,
          appendedAt: feed.appendedAt[row] ?? Number.NaN,
          rowAt: Number(f.row_at),
          readAt: change.debeziumRead[row] ?? Number.NaN,
          inKafkaAt: change.changeInKafka[row] ?? Number.NaN,
          factAt: Number(f.fact_at),
        };
      });
      return (from: number, to: number) => {
        const window = lines.filter((f) => f.row >= from && f.row < to);
        const hop = (values: number[]) => summarize(values.filter((v) => !Number.isNaN(v)));
        return {
          total: summarize(window.map((f) => f.factAt - f.appendedAt)),
          toRow: summarize(window.map((f) => f.rowAt - f.appendedAt)),
          rowToAggregates: summarize(window.map((f) => f.factAt - f.rowAt)),
          rowToDebezium: hop(window.map((f) => f.readAt - f.rowAt)),
          debeziumToKafka: hop(window.map((f) => f.inKafkaAt - f.readAt)),
          kafkaToAggregates: hop(window.map((f) => f.factAt - f.inKafkaAt)),
          /** The five latest reads by Debezium: when the row was committed, and how late it was read. */
          worstReads: window
            .filter((f) => !Number.isNaN(f.readAt))
            .sort((a, b) => b.readAt - b.rowAt - (a.readAt - a.rowAt))
            .slice(0, 5)
            .map((f) => ({ rowAt: f.rowAt, lateMs: Math.round(f.readAt - f.rowAt) })),
        };
      };
    };
    const liveAggregated = async (to: number) =>
      Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM analytics.sale_facts WHERE sale_id LIKE 'bench/%'`,
          )
        ).rows[0]?.n,
      ) >= to;

    process.stdout.write('backfill: warming up the four workers…\n');
    feed.append(WARMUP);
    await live.whileAlive(live.waitUntilFlowing(WARMUP, `${WARMUP} warm-up rows in the aggregates`));

    // 1. The live feed alone.
    process.stdout.write(`backfill: the live feed alone, ${liveRate} sales/s for ${ALONE_SECONDS} s…\n`);
    const aloneFrom = feed.written;
    await live.whileAlive(feed.appendAtRate(liveRate, aloneFrom + liveRate * ALONE_SECONDS));
    const aloneTo = feed.written;
    await live.whileAlive(
      until('the live lines in the aggregates', async () =>
        (await liveAggregated(aloneTo)) ? true : undefined,
      ),
    );

    // 2. COPY of the same final rows into a table shaped like `sales`, in the same database.
    process.stdout.write('backfill: COPY of the same rows into a table shaped like sales…\n');
    await db.query('CREATE TABLE bench_copy_sales (LIKE sales INCLUDING ALL)');
    await db.query('GRANT INSERT ON bench_copy_sales TO sales_app');
    await db.query('CHECKPOINT');
    const copyMs = await copySalesRows(stack, 'bench_copy_sales', copyFile);
    await db.query('DROP TABLE bench_copy_sales');
    await db.query('CHECKPOINT');
    // Debezium's walsender decodes the whole WAL, the COPY's too (then drops it: the table is not
    // published); until it is through, every live change waits behind it (seen: 91 MB behind, live
    // changes read 6.8 s late at the backfill's start). The backfill starts once it is through.
    const copyDecodedMs = await walsenderThrough(db, process.env.CDC_SLOT_NAME ?? 'sales_pipeline_cdc');

    // 3. The backfill, the live feed going on beside it until its rows are all in `sales`.
    process.stdout.write(
      `backfill: sales-pipeline backfill of ${fmt(rows)} lines, the live feed beside it…\n`,
    );
    const postsBefore = slack.posted.length;
    const roots: Record<string, number> = { ...stackRoots('backfill') };
    for (const w of live.workers) roots[w.name] = w.child.pid as number;
    const started = Date.now();
    const command = startWorker(
      'backfill',
      ['backfill', historyFile, '--feed-id', 'history'],
      workerEnv(stack),
    );
    roots.backfill = command.child.pid as number;
    const ingestCpu = cpuMeter(roots);
    const pgCpu = pgBackendCpuMeter(stack.secrets.adminDatabaseUrl, roots.postgres as number);
    const lagMeter = replicationLagMeter(
      stack.secrets.adminDatabaseUrl,
      process.env.CDC_SLOT_NAME ?? 'sales_pipeline_cdc',
    );
    const duringFrom = feed.written;
    let rowsIn = false;
    const liveFeed = (async () => {
      while (!rowsIn) await feed.appendAtRate(liveRate, feed.written + liveRate);
    })();
    // Its progress, cheaply: counting a million rows every second cost PostgreSQL about 10 µs a history
    // line (seen in its CPU by backend). In bulk, the chunks recorded with the rows say how many went in
    // (one row a thousand sales); the rows are counted once they say all, and every 15 s otherwise (one
    // message a sale: no chunks).
    const historyRows = async () =>
      Number(
        (await db.query<{ n: string }>(`SELECT count(*) AS n FROM sales WHERE feed = 'history'`)).rows[0]?.n,
      );
    const chunkedRows = async () =>
      Number(
        (
          await db.query<{ n: string | null }>(
            `SELECT sum(sales) AS n FROM sale_chunks WHERE feed = 'history'`,
          )
        ).rows[0]?.n ?? 0,
      );
    let countedAt = Date.now();
    await whileAlive(
      [...live.workers, command],
      until(
        'the history in sales',
        async (saw) => {
          const chunked = await chunkedRows();
          if (chunked < rows && Date.now() - countedAt < 15_000) {
            saw(`${fmt(chunked)} of ${fmt(rows)} rows in chunks`);
            return undefined;
          }
          countedAt = Date.now();
          const n = await historyRows();
          saw(`${fmt(n)} of ${fmt(rows)} rows`);
          return n >= rows ? true : undefined;
        },
        { intervalMs: 1000, timeoutMs: MAX_SECONDS * 1000 },
      ),
    );
    rowsIn = true;
    await liveFeed;
    const duringTo = feed.written;
    const lastRow = (
      await db.query<{ last: number }>(
        `SELECT extract(epoch FROM max(pg_xact_commit_timestamp(xmin))) * 1000 AS last FROM sales WHERE feed = 'history'`,
      )
    ).rows[0]?.last;
    const ingestMs = Number(lastRow) - started;
    const ingestUse = ingestCpu.stop(rows);
    const pgUse = await pgCpu.stop(rows);
    const lag = await lagMeter.stop();
    const catchUpCpu = cpuMeter(roots);
    const code = await whileAlive(live.workers, command.exited);
    if (code !== 0) throw new Error(`backfill exited with ${code}: ${command.output().slice(-3000)}`);
    const doneMs = Date.now() - started;
    const catchUpUse = catchUpCpu.stop(rows);
    await live.whileAlive(
      until('the live lines in the aggregates', async () =>
        (await liveAggregated(duringTo)) ? true : undefined,
      ),
    );
    // The summary goes out once the backfill is closed (after a digest, the channel rests up to
    // NOTIFIER_DIGEST_INTERVAL_MS first).
    const summaries = () => slack.posted.slice(postsBefore).filter((p) => p.text.startsWith('📚'));
    await live
      .whileAlive(
        until('the summary post', async () => (summaries().length > 0 ? true : undefined), {
          timeoutMs: 120_000,
        }),
      )
      .catch((error: unknown) => process.stdout.write(`backfill: ${(error as Error).message}\n`));
    const posts = summaries();
    const peaks = await live.stopWorkers();
    const hopsOf = await liveStamps();
    const aloneHops = hopsOf(aloneFrom, aloneTo);
    const duringHops = hopsOf(duringFrom, duringTo);
    const alone = aloneHops.total;
    const during = duringHops.total;
    // The walsender behind the WAL while the rows went in, and at the live feed's latest reads.
    const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
    const behind = summarize(lag.map((l) => l.behindBytes));
    const busy = summarize(
      lag.filter((l) => !Number.isNaN(l.walsenderBusy)).map((l) => l.walsenderBusy * 100),
    );
    const lagAt = (at: number) =>
      lag.reduce<LagSample | undefined>(
        (best, l) => (l.at >= at && (!best || l.at < best.at) ? l : best),
        undefined,
      );
    const worstReads = duringHops.worstReads.map((w) => {
      const l = lagAt(w.rowAt);
      return `${w.lateMs} ms at ${((w.rowAt - started) / 1000).toFixed(1)} s (walsender ${l ? `${mb(l.behindBytes)} MB behind, ${(l.walsenderBusy * 100).toFixed(0)} % busy` : 'not read'})`;
    });

    const rowsPerSecond = (rows * 1000) / ingestMs;
    const copyPerSecond = (rows * 1000) / copyMs;
    const ratio = rowsPerSecond / copyPerSecond;
    const catchUpMs = doneMs - ingestMs;
    const t = BACKFILL_TARGETS;
    const verdict = (ok: boolean) => (ok ? 'met' : 'missed');
    return {
      figures: {
        rows,
        liveRate,
        ingestMs,
        rowsPerSecond,
        copyMs,
        copyRowsPerSecond: copyPerSecond,
        copyDecodedMs,
        ratio,
        catchUpMs,
        doneMs,
        liveAlone: alone,
        liveDuring: during,
        liveHops: { alone: aloneHops, during: duringHops },
        walsender: { behindBytes: behind, busyPercent: busy, worstReads },
        ingestCpuMsPerSale: ingestUse.perSale,
        ingestCoresBusy: ingestUse.coresBusy,
        ingestPostgresUsPerSaleByBackend: pgUse,
        catchUpCpuMsPerSale: catchUpUse.perSale,
        catchUpCoresBusy: catchUpUse.coresBusy,
        summaryPosts: posts.length,
        summaryMilestones: Number(posts[0]?.metadata?.event_payload.milestone_count ?? (posts[0] ? 1 : 0)),
        backfillPeakMb: command.peakMb(),
        ...peaks,
        targets: t,
      },
      markdown: [
        `## backfill (history through the whole running pipeline, a live feed beside it)`,
        '',
        '| figure | value | target |',
        '| --- | ---: | --- |',
        `| ${fmt(rows)} lines: \`backfill\` start → last row committed in \`sales\` | ${secs(ingestMs)} (${fmt(rowsPerSecond)} rows/s) | |`,
        `| COPY of the same rows into a table shaped like \`sales\` | ${secs(copyMs)} (${fmt(copyPerSecond)} rows/s; Debezium's walsender then took ${secs(copyDecodedMs)} to decode its WAL, waited for before the backfill) | |`,
        `| ratio backfill / COPY | **${ratio.toFixed(3)}** | ≥ ${t.copyRatio}: ${verdict(ratio >= t.copyRatio)} |`,
        `| aggregates (and the notifier) caught up, after the last row | ${secs(catchUpMs)} (${(catchUpMs / ingestMs).toFixed(2)}× the ingest time) | ≤ ${t.catchUpRatio}×: ${verdict(catchUpMs <= t.catchUpRatio * ingestMs)} |`,
        `| live feed at ${liveRate}/s, line → aggregates, alone: p50 / p99 | ${alone.p50Ms} / ${alone.p99Ms} ms (${fmt(alone.samples)} lines) | |`,
        `| the same during the backfill: p50 / p99 | ${during.p50Ms} / ${during.p99Ms} ms (${fmt(during.samples)} lines) | p99 ≤ ${t.liveP99Ratio}× alone: ${verdict(during.p99Ms <= t.liveP99Ratio * alone.p99Ms)} |`,
        `| the live feed's hops, alone → during: p99 line → row in \`sales\`, row → aggregates | ${aloneHops.toRow.p99Ms} → ${duringHops.toRow.p99Ms} ms, ${aloneHops.rowToAggregates.p99Ms} → ${duringHops.rowToAggregates.p99Ms} ms | |`,
        `| row → aggregates in three, alone → during: p99 row → read by Debezium (\`ts_ms\`), → change event in Kafka, → aggregates | ${aloneHops.rowToDebezium.p99Ms} → ${duringHops.rowToDebezium.p99Ms} ms, ${aloneHops.debeziumToKafka.p99Ms} → ${duringHops.debeziumToKafka.p99Ms} ms, ${aloneHops.kafkaToAggregates.p99Ms} → ${duringHops.kafkaToAggregates.p99Ms} ms | |`,
        `| Debezium's walsender while the rows went in (every 0.5 s): behind the WAL p50 / p99 / max; its CPU p50 / p99 % of a core | ${mb(behind.p50Ms)} / ${mb(behind.p99Ms)} / ${mb(behind.maxMs)} MB; ${busy.p50Ms.toFixed(0)} / ${busy.p99Ms.toFixed(0)} % | |`,
        `| the live feed's five latest reads by Debezium during the backfill (row committed → read; since the backfill's start) | ${worstReads.join('; ')} | |`,
        `| CPU while the rows went in: cores busy, per history line by process tree | ${ingestUse.coresBusy.toFixed(2)} of 2; ${cpuPerSaleText(ingestUse.perSale)} | |`,
        `| PostgreSQL's share by backend (application_name, else backend type), per history line | ${Object.entries(
          pgUse,
        )
          .map(([name, us]) => `${name} ${us.toFixed(1)} µs`)
          .join(', ')} | |`,
        `| CPU while the aggregates caught up | ${catchUpUse.coresBusy.toFixed(2)} of 2; ${cpuPerSaleText(catchUpUse.perSale)} | |`,
        `| peak memory: backfill, producer, consumer, analytics, notifier | ${[command.peakMb(), peaks.producerPeakMb, peaks.consumerPeakMb, peaks.analyticsPeakMb, peaks.notifierPeakMb].map((m) => (m ?? Number.NaN).toFixed(0)).join(' / ')} MiB | ≤ 150 MiB each |`,
        `| Slack posts of the backfill | ${posts.length} (carrying ${Number(posts[0]?.metadata?.event_payload.milestone_count ?? (posts[0] ? 1 : 0))} milestones) | 1 summary |`,
        '',
      ],
    };
  } finally {
    await live.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
