/**
 * sink — our consumer vs the Debezium JDBC sink connector (io.debezium:debezium-connector-jdbc, in the
 * stack's Kafka Connect; insert.mode=upsert, primary.key.mode=record_value on sale_id), the same
 * BENCH_SINK_ROWS rows (default BENCH_ROWS, 1,000,000) into tables of the same shape, one after the other.
 *
 * The JDBC sink needs a schema with every record: Kafka Connect cannot recover one from schemaless JSON
 * (no converter or built-in SMT does it). So the rows our producer published to `sales` are copied, not
 * measured, into a second topic `sales.schemaful`, each as the JsonConverter's schema + payload envelope
 * (a flat struct with the row as `sales` stores it: Connect Date for the day, Decimal for the money). Our
 * consumer reads `sales` into `sales`; the sink reads `sales.schemaful` into `sales_jdbc`
 * (`LIKE sales INCLUDING ALL`). Each is timed from its start to its last row committed.
 */
import os from 'node:os';
import type pg from 'pg';
import type { RunningStack } from '@sales-pipeline/stack';
import { compareRates, fmt, secs, sizeFromEnv, withCdcPaused } from '../bench-stack.ts';
import { commitSpan, pathFigures, type PartResult } from '../lib/part.ts';
import { cpuMeter, cpuPerSaleText } from '../lib/proc-cpu.ts';
import { publishFeed, timeOurConsumer } from '../lib/sales-topic.ts';
import { stackRoots } from './cost.ts';
import {
  SINK_TASKS as tasks,
  deleteJdbcSink,
  jdbcSinkConfig,
  registerJdbcSink,
  waitForJdbcSink,
} from './sink/jdbc-sink.ts';
import { SCHEMAFUL_TOPIC, copyToSchemafulTopic } from './sink/schemaful-copy.ts';

export const SINK_TARGET = 3;

/** Cores busy, then µs a row of each process tree, highest first. */
const cpuCell = (cpu: { perSale: Record<string, number>; coresBusy: number }) =>
  `${cpu.coresBusy.toFixed(2)} of ${os.cpus().length}; ${cpuPerSaleText(cpu.perSale)}`;

/** Counts, distinct keys and sums of a table of the shape of `sales`. */
async function totals(db: pg.Client, table: string) {
  const { rows: r } = await db.query<{ rows: string; keys: string; quantity: string; amount: string }>(
    `SELECT count(*) AS rows, count(DISTINCT sale_id) AS keys, sum(quantity) AS quantity, sum(amount) AS amount
       FROM ${table}`,
  );
  const t = r[0];
  return {
    rows: Number(t?.rows),
    distinctSaleIds: Number(t?.keys),
    quantity: Number(t?.quantity),
    amount: String(t?.amount),
  };
}

/** Both tables hold the same rows: counts, distinct keys, sums, and every row identical column by column. */
async function compareTables(db: pg.Client, rows: number) {
  const oursTotals = await totals(db, 'sales');
  const sinkTotals = await totals(db, 'sales_jdbc');
  const same = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM sales s JOIN sales_jdbc j USING (sale_id)
      WHERE (s.sold_on, s.product_id, s.store_id, s.quantity, s.unit_price, s.amount, s.status, s.feed, s.line_number)
          = (j.sold_on, j.product_id, j.store_id, j.quantity, j.unit_price, j.amount, j.status, j.feed, j.line_number)`,
  );
  const identicalRows = Number(same.rows[0]?.n);
  const resultsMatch =
    JSON.stringify(oursTotals) === JSON.stringify(sinkTotals) &&
    sinkTotals.rows === rows &&
    sinkTotals.distinctSaleIds === rows &&
    identicalRows === rows;
  return { oursTotals, sinkTotals, identicalRows, resultsMatch };
}

export async function sink(stack: RunningStack): Promise<PartResult> {
  const rows = sizeFromEnv('BENCH_SINK_ROWS', sizeFromEnv('BENCH_ROWS', 1_000_000));
  const config = jdbcSinkConfig(stack);
  const measured = await withCdcPaused(stack, async (db) => {
    // 0. Topic contents (not measured): our producer publishes the feed; a copy goes to the schema'd topic.
    process.stdout.write(`sink: publishing ${fmt(rows)} sales, then their schema'd copy…\n`);
    await publishFeed(stack, 'sink', rows);
    await copyToSchemafulTopic(stack, rows);

    // 1. Our consumer, sales → sales.
    process.stdout.write('sink: our consumer…\n');
    const ours = await timeOurConsumer(stack, db, rows, stackRoots('sink'));

    // 2. The Debezium JDBC sink, sales.schemaful → sales_jdbc (same shape as sales).
    process.stdout.write('sink: Debezium JDBC sink connector…\n');
    await db.query('CREATE TABLE sales_jdbc (LIKE sales INCLUDING ALL)');
    await db.query('GRANT SELECT, INSERT, UPDATE, DELETE ON sales_jdbc TO sales_app');
    await db.query('CHECKPOINT');
    const sinkStarted = Date.now();
    const sinkMeter = cpuMeter(stackRoots('sink'));
    await registerJdbcSink(stack, config);
    await waitForJdbcSink(stack, db, rows);
    const sinkCpu = sinkMeter.stop(rows);
    const sinkSpan = await commitSpan(db, 'sales_jdbc');
    await deleteJdbcSink(stack);

    const comparison = await compareTables(db, rows);
    await db.query('DROP TABLE sales_jdbc');
    return { ours, sinkStarted, sinkSpan, sinkMs: sinkSpan.lastMs - sinkStarted, sinkCpu, ...comparison };
  });
  const { sinkStarted, sinkSpan, sinkMs, sinkCpu, oursTotals, sinkTotals, identicalRows, resultsMatch } =
    measured;
  const { startedAt: oursStarted, span: oursSpan, ms: oursMs } = measured.ours;
  const { ours, theirs, ratio } = compareRates(rows, oursMs, sinkMs);
  return {
    figures: {
      rows,
      ours: {
        ...pathFigures(rows, oursSpan, oursStarted),
        cpuMsPerRow: measured.ours.cpu.perSale,
        coresBusy: measured.ours.cpu.coresBusy,
      },
      jdbcSink: {
        ...pathFigures(rows, sinkSpan, sinkStarted),
        cpuMsPerRow: sinkCpu.perSale,
        coresBusy: sinkCpu.coresBusy,
        version: 'debezium-connector-jdbc 3.6.0.Final',
        tasks,
        config: { ...config, 'connection.password': '***' },
        topic: `${SCHEMAFUL_TOPIC} (same rows, JsonConverter schema + payload envelopes)`,
      },
      identicalRows,
      tables: { sales: oursTotals, sales_jdbc: sinkTotals },
      resultsMatch,
      ratio,
      target: SINK_TARGET,
      meetsTarget: ratio >= SINK_TARGET,
      cdc: 'paused during the part',
    },
    markdown: [
      `## sink — our consumer vs the Debezium JDBC sink connector (${fmt(rows)} sales, tables of the same shape, same run)`,
      '',
      '| path | time | rows/s | CPU: cores busy; µs a row by process tree |',
      '| --- | ---: | ---: | --- |',
      `| our consumer (child process): topic \`sales\` → \`sales\`, start → last row committed | ${secs(oursMs)} | ${fmt(ours)} | ${cpuCell(measured.ours.cpu)} |`,
      `| Debezium JDBC sink 3.6.0.Final (${tasks} tasks, upsert, key sale_id): \`${SCHEMAFUL_TOPIC}\` → \`sales_jdbc\`, registration → last row committed | ${secs(sinkMs)} | ${fmt(theirs)} | ${cpuCell(sinkCpu)} |`,
      '',
      `ratio ours / JDBC sink: **${ratio.toFixed(2)}** (target ≥ ${SINK_TARGET}: ${ratio >= SINK_TARGET ? 'met' : 'missed'}); ${fmt(identicalRows)} of ${fmt(rows)} rows identical in both tables; counts, distinct sale ids and sums (quantity ${fmt(sinkTotals.quantity)}, amount ${sinkTotals.amount}) ${resultsMatch ? 'the same' : `DIFFER (ours ${JSON.stringify(oursTotals)}, sink ${JSON.stringify(sinkTotals)})`}.`,
      '',
      "The sink needs a schema with each record (no converter or built-in SMT makes one from schemaless JSON), so it reads a second topic holding the same messages re-written, before timing, as JsonConverter schema + payload envelopes with the row as `sales` stores it (price and amount included: the sink does no lookup). io.debezium:debezium-connector-jdbc 3.7.0.Final is not on Maven Central (3.6.0.Final is the newest there). Debezium's source connector paused during the part.",
    ],
  };
}
