/**
 * ingest — BENCH_ROWS sales (default 1,000,000) from a CSV file to rows in PostgreSQL end to end: the real
 * producer and consumer, each a `sales-pipeline` child process, through the broker; from the producer's
 * start until the last row is committed. Side by side, in the same run on the same stack: COPY of the same
 * rows (as `sales` stores them) into the same table, the physical limit. Also the peak resident memory of
 * both worker processes (part "memory").
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunningStack } from '@sales-pipeline/stack';
import {
  compareRates,
  createPipelineTopics,
  fmt,
  rate,
  secs,
  sizeFromEnv,
  withCdcPaused,
} from '../bench-stack.ts';
import { copySalesRows } from '../lib/copy-rows.ts';
import { tempDir, writeFeed, writeReferenceFiles, writeSalesCopyFile } from '../lib/feed.ts';
import { commitSpan, storedOffsetsReach, waitForGroup, waitForRows, type PartResult } from '../lib/part.ts';
import { startWorker, waitForExit, whileAlive, workerEnv } from '../lib/workers.ts';

export const INGEST_TARGET = 0.35;

export async function ingest(stack: RunningStack): Promise<PartResult> {
  const rows = sizeFromEnv('BENCH_ROWS', 1_000_000);
  const dir = tempDir('ingest');
  const refs = writeReferenceFiles(dir);
  const feedFile = path.join(dir, 'bench.csv');
  const copyFile = path.join(dir, 'sales.copy');
  process.stdout.write(`ingest: writing a ${fmt(rows)}-row feed…\n`);
  writeFeed(feedFile, rows);
  writeSalesCopyFile(copyFile, 'bench', rows);
  // Change capture is paused for the part, so that neither side pays for Debezium reading the WAL.
  const { pipelineMs, producerMs, span, started, copyMs, memory } = await withCdcPaused(stack, async (db) => {
    // 1. The pipeline: consumer ready first, then the producer on the file. The consumer waits for the
    // topics, which the producer creates (as `up` would, from SALES_TOPIC_PARTITIONS): made here first.
    await createPipelineTopics(stack);
    const consumer = startWorker('consumer', ['consume'], workerEnv(stack));
    await whileAlive([consumer], waitForGroup(stack, 'sales-pipeline.consumer'));
    process.stdout.write('ingest: producer → Kafka → consumer → PostgreSQL…\n');
    const started = Date.now();
    const producer = startWorker(
      'producer',
      ['produce', '--sales', feedFile, '--products', refs.products, '--stores', refs.stores],
      workerEnv(stack),
    );
    let producerMs = 0;
    void producer.exited.then(() => (producerMs = Date.now() - started));
    await whileAlive(
      [consumer],
      waitForRows(db, 'sales', rows, storedOffsetsReach(db, 'sales-pipeline.consumer', 'sales', rows)),
    );
    const span = await commitSpan(db, 'sales');
    await waitForExit(producer, rows, 120_000);
    await consumer.stop();
    const pipelineMs = span.lastMs - started;
    const memory = { producerPeakMb: producer.peakMb(), consumerPeakMb: consumer.peakMb() };

    // 2. COPY of the same rows into the same table, emptied.
    process.stdout.write('ingest: COPY of the same rows…\n');
    await db.query('TRUNCATE sales');
    await db.query('CHECKPOINT');
    const copyMs = await copySalesRows(stack, 'sales', copyFile);
    return { pipelineMs, producerMs, span, started, copyMs, memory };
  });
  fs.rmSync(dir, { recursive: true, force: true });

  const { ours, theirs: copy, ratio } = compareRates(rows, pipelineMs, copyMs);
  return {
    figures: {
      rows,
      pipeline: {
        ms: pipelineMs,
        rowsPerSecond: ours,
        producerDoneMs: producerMs,
        firstRowCommittedMs: span.firstMs - started,
        steadyRowsPerSecond: rate(rows, span.lastMs - span.firstMs),
      },
      copy: { ms: copyMs, rowsPerSecond: copy },
      ratio,
      target: INGEST_TARGET,
      meetsTarget: ratio >= INGEST_TARGET,
      memory,
      cdc: 'paused during the part',
    },
    markdown: [
      `## ingest — CSV file → rows in \`sales\` (${fmt(rows)} sales, same table, same run)`,
      '',
      '| path | time | rows/s |',
      '| --- | ---: | ---: |',
      `| producer → Kafka → consumer (child processes, exactly once), start → last row committed | ${secs(pipelineMs)} | ${fmt(ours)} |`,
      `| COPY of the same rows into \`sales\` (the limit) | ${secs(copyMs)} | ${fmt(copy)} |`,
      '',
      `ratio pipeline / COPY: **${ratio.toFixed(2)}** (target ≥ ${INGEST_TARGET}: ${ratio >= INGEST_TARGET ? 'met' : 'missed'}). ` +
        `The producer had published everything after ${secs(producerMs)}; the first row was committed after ${secs(span.firstMs - started)}. ` +
        'Debezium paused during the part.',
    ],
  };
}
