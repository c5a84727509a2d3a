import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { SaleMessage } from '@sales-pipeline/platform';
import { createLogger } from '@sales-pipeline/platform';
import { loadStackConfig, nativeComponentPid, nativeRestart } from '@sales-pipeline/stack';
import { produceFollowing, stopProducer } from '../../test-support/cli-processes.ts';
import { SALES_HEADER, tempDir } from '../../test-support/client-feeds.ts';
import { readWholeTopic, values } from '../../test-support/kafka-readers.ts';
import { isolatedTopics, producerEnv } from '../../test-support/worker-env.ts';

/**
 * Managed clusters roll their brokers every week: a broker that goes away under load and comes back must
 * not make the producer exit. Without a supervisor, the producer follows a growing file while the broker is
 * killed (-9) and restarted twice; it stays up, and every line is in the topic exactly once.
 */
const { endpoints, home } = inject('stack');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a broker restart under load', () => {
  it('the producer rides it out, with nothing lost and nothing duplicated', async () => {
    const topics = isolatedTopics('broker-restart');
    const feed = path.join(tempDir(), 'ventes.csv');
    fs.writeFileSync(feed, SALES_HEADER);
    const producer = produceFollowing(['--sales', feed, '--feed-id', 'broker-restart'], producerEnv(topics));
    const stack = loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: home });
    const logger = createLogger('test', 'warn');
    let written = 0;
    const write = (count: number) => {
      const lines = Array.from(
        { length: count },
        (_, i) =>
          `2024-01-${String(1 + ((written + i) % 28)).padStart(2, '0')},REF00${1 + ((written + i) % 5)},${1 + ((written + i) % 7)},${1 + ((written + i) % 7)}\r\n`,
      );
      fs.appendFileSync(feed, lines.join(''));
      written += count;
    };
    let writing = true;
    const writer = (async () => {
      while (writing) {
        write(25);
        await sleep(20);
      }
    })();
    try {
      // Down for a moment, for longer than a request's timeout, and killed again soon after it came back.
      for (const downMs of [1000, 8000, 200]) {
        await sleep(1500);
        process.kill(nativeComponentPid(stack, 'kafka') as number, 'SIGKILL');
        await sleep(downMs);
        await nativeRestart(stack, logger, 'kafka');
      }
      await sleep(1500);
    } finally {
      writing = false;
      await writer;
    }
    expect(producer.exitCode, producer.output()).toBeNull();
    // Every line in the topic, read committed; the producer exiting meanwhile fails the test at once.
    const outcome = await Promise.race([
      readWholeTopic(endpoints.kafkaBrokers, topics.sales, {
        atLeast: written,
        quietMs: 3000,
        timeoutMs: 180_000,
      }).then((messages) => ({ messages })),
      producer.exited.then((code) => ({ exited: code })),
    ]);
    if ('exited' in outcome)
      expect.fail(`the producer exited with code ${outcome.exited}:\n${producer.output()}`);
    const sold = values<SaleMessage>(outcome.messages);
    const lines = sold.map((s) => s.line);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.length).toBe(written);
    expect(await stopProducer(producer)).toBe(0);
  }, 300_000);
});
