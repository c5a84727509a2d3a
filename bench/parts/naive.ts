/**
 * naive — the brief's naive approach vs our consumer, on the same BENCH_NAIVE_ROWS sales (default 50,000)
 * of the same topic: for each message, a SELECT to check that the sale is not stored yet, then an INSERT of
 * that row alone (node-postgres, one connection, each statement its own transaction), the price looked up
 * from the product as ours does. Both timed from their start to the last row committed.
 */
import pg from 'pg';
import type { RunningStack } from '@sales-pipeline/stack';
import { compareRates, fmt, rate, secs, sizeFromEnv, withCdcPaused } from '../bench-stack.ts';
import { commitSpan, pathFigures, readTopic, type PartResult } from '../lib/part.ts';
import { publishFeed, timeOurConsumer, type SaleMessage } from '../lib/sales-topic.ts';

export async function naive(stack: RunningStack): Promise<PartResult> {
  const rows = sizeFromEnv('BENCH_NAIVE_ROWS', 50_000);
  const {
    ours: oursRun,
    naiveSpan,
    naiveStarted,
    naiveMs,
  } = await withCdcPaused(stack, async (db) => {
    process.stdout.write(`naive: publishing ${fmt(rows)} sales…\n`);
    await publishFeed(stack, 'naive', rows);

    // 1. Ours (also applies the products and stores the naive loop needs).
    process.stdout.write(`naive: our consumer on ${fmt(rows)} sales…\n`);
    const ours = await timeOurConsumer(stack, db, rows);
    await db.query('TRUNCATE sales');
    await db.query('CHECKPOINT');

    // 2. Naive: SELECT, then INSERT one row, per message.
    process.stdout.write('naive: SELECT + INSERT per row…\n');
    const client = new pg.Client({ connectionString: stack.secrets.databaseUrl });
    await client.connect();
    let stored = 0;
    const naiveStarted = Date.now();
    // Each parameter typed: in `INSERT … SELECT`, PostgreSQL cannot deduce them from the target columns
    // ($5 would be both the integer quantity and a numeric factor, and fail every row).
    const read = await readTopic(stack, 'sales', 'the naive loop', async (batch, heartbeat) => {
      for (const [i, message] of batch.messages.entries()) {
        const sale = JSON.parse(message.value?.toString() ?? '{}') as SaleMessage;
        const found = await client.query('SELECT 1 FROM sales WHERE sale_id = $1', [sale.sale_id]);
        if (!found.rowCount) {
          const inserted = await client.query(
            `INSERT INTO sales (sale_id, sold_on, product_id, store_id, quantity, unit_price, amount, status, feed, line_number)
             SELECT $1::text, $2::date, $3::text, $4::text, $5::integer, p.unit_price, p.unit_price * $5::integer, 'complete', $6::text, $7::bigint
               FROM products p WHERE p.product_id = $3::text`,
            [sale.sale_id, sale.sold_on, sale.product_id, sale.store_id, sale.quantity, sale.feed, sale.line],
          );
          if (inserted.rowCount !== 1)
            throw new Error(`sale ${sale.sale_id}: product ${sale.product_id} unknown`);
          stored++;
        }
        if (i % 500 === 499) await heartbeat();
      }
    });
    if (read !== rows || stored !== rows)
      throw new Error(`the naive loop read ${read} messages and stored ${stored} rows; expected ${rows}`);
    const naiveSpan = await commitSpan(db, 'sales');
    await client.end();
    return { ours, naiveSpan, naiveStarted, naiveMs: naiveSpan.lastMs - naiveStarted };
  });

  const { span, startedAt: oursStarted, ms: oursMs } = oursRun;
  const { ours, theirs, ratio } = compareRates(rows, oursMs, naiveMs);
  return {
    figures: {
      rows,
      ours: pathFigures(rows, span, oursStarted),
      naive: pathFigures(rows, naiveSpan, naiveStarted),
      ratio,
      cdc: 'paused during the part',
    },
    markdown: [
      `## naive — SELECT then INSERT per row vs our consumer (${fmt(rows)} sales, same topic, same run)`,
      '',
      '| path | time | rows/s | first → last row committed, rows/s |',
      '| --- | ---: | ---: | ---: |',
      `| our consumer (child process), start → last row committed | ${secs(oursMs)} | ${fmt(ours)} | ${fmt(rate(rows, span.lastMs - span.firstMs))} |`,
      `| naive: per message a SELECT, then a one-row INSERT (one connection, autocommit; in the bench process; start includes its connect and group join) | ${secs(naiveMs)} | ${fmt(theirs)} | ${fmt(rate(rows, naiveSpan.lastMs - naiveSpan.firstMs))} |`,
      '',
      `ratio ours / naive: **${ratio.toFixed(1)}×**. Debezium paused during the part.`,
    ],
  };
}
