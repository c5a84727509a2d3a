import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { RunningStack } from '@sales-pipeline/stack';
import { tempDir, writeFeed, writeReferenceFiles } from './feed.ts';
import { commitSpan, storedOffsetsReach, waitForRows } from './part.ts';
import { cpuMeter } from './proc-cpu.ts';
import { startWorker, waitForExit, whileAlive, workerEnv } from './workers.ts';

/** A message of the `sales` topic, as our producer publishes it. */
export interface SaleMessage {
  sale_id: string;
  feed: string;
  line: number;
  sold_on: string;
  product_id: string;
  store_id: string;
  quantity: number;
}

/**
 * Fills the `sales` topic (not measured): our producer publishes a generated feed of `rows` sales and
 * exits; the feed is removed.
 */
export async function publishFeed(stack: RunningStack, part: string, rows: number): Promise<void> {
  const dir = tempDir(part);
  const refs = writeReferenceFiles(dir);
  const feedFile = path.join(dir, 'bench.csv');
  writeFeed(feedFile, rows);
  const producer = startWorker(
    'producer',
    ['produce', '--sales', feedFile, '--products', refs.products, '--stores', refs.stores],
    workerEnv(stack),
  );
  await waitForExit(producer, rows);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Our consumer (a child process) reads the `rows` sales of the topic into `sales`: timed from its start to
 * the last row committed. The commit span gives the first → last row rate too.
 */
export async function timeOurConsumer(
  stack: RunningStack,
  db: pg.Client,
  rows: number,
  /** Process trees whose CPU to meter over the run, the consumer's own added (as `consumer`). */
  meterRoots: Record<string, number> = {},
): Promise<{
  startedAt: number;
  span: { firstMs: number; lastMs: number };
  ms: number;
  cpu: { perSale: Record<string, number>; coresBusy: number };
}> {
  const startedAt = Date.now();
  const consumer = startWorker('consumer', ['consume'], workerEnv(stack));
  const meter = cpuMeter({ ...meterRoots, consumer: consumer.child.pid as number });
  await whileAlive(
    [consumer],
    waitForRows(db, 'sales', rows, storedOffsetsReach(db, 'sales-pipeline.consumer', 'sales', rows)),
  );
  const cpu = meter.stop(rows);
  const span = await commitSpan(db, 'sales');
  await consumer.stop();
  return { startedAt, span, ms: span.lastMs - startedAt, cpu };
}
