import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKER_NODE_FLAGS } from '@sales-pipeline/platform/worker-runtime';
import { produceOnce, startWorker, stopWorker } from '../../test-support/cli-processes.ts';
import { clientFileArgs, tempDir, writeSalesCsv } from '../../test-support/client-feeds.ts';
import { eventually } from '../../test-support/eventually.ts';
import { query } from '../../test-support/test-stack.ts';
import { consumerEnv, isolatedTopics, producerEnv } from '../../test-support/worker-env.ts';

const SALES = 150_000;

describe('a consumer started on a large backlog', () => {
  it(`applies ${SALES.toLocaleString('en')} waiting sales within the workers' heap limit, without dying`, async () => {
    const topics = isolatedTopics('backlog');
    const feed = `backlog${Date.now().toString(36)}`;
    const csv = path.join(tempDir(), `${feed}.csv`);
    writeSalesCsv(csv, SALES);
    // The whole feed is in Kafka before the consumer starts: every fetch is as large as it may be.
    const produced = await produceOnce([...clientFileArgs(csv), '--feed-id', feed], producerEnv(topics));
    expect(produced.code, produced.stderr).toBe(0);
    // With the flags every worker runs with (up, the benchmarks, the Docker image): a bounded heap.
    const consumer = startWorker(['consume'], {
      ...consumerEnv(topics),
      NODE_OPTIONS: WORKER_NODE_FLAGS.join(' '),
    });
    let exitCode: number | null | undefined;
    void consumer.exited.then((code) => (exitCode = code));
    try {
      await eventually(
        async () => {
          if (exitCode !== undefined)
            throw new Error(`the consumer exited (${exitCode}): ${consumer.output().slice(-1500)}`);
          const [row] = await query<{ n: string }>('SELECT count(*) AS n FROM sales WHERE feed = $1', [feed]);
          return Number(row?.n ?? 0);
        },
        (n) => n === SALES,
        120_000,
      );
    } finally {
      await stopWorker(consumer);
    }
    expect(exitCode).toBe(0);
  }, 240_000);
});
