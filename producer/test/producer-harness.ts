import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { inject } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'cli', 'bin', 'sales-pipeline.js');
export const CLIENT_DATA = path.resolve(import.meta.dirname, '..', '..', 'data', 'pme');

/** Topics of their own for one test, so tests never see each other's messages. */
export function isolatedTopics(name: string) {
  const suffix = `${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  return {
    sales: `t.sales.${suffix}`,
    products: `t.products.${suffix}`,
    stores: `t.stores.${suffix}`,
    deadLetter: `t.dlq.${suffix}`,
  };
}

export function producerEnv(topics: ReturnType<typeof isolatedTopics>, extra: Record<string, string> = {}) {
  const { endpoints } = inject('stack');
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KAFKA_BROKERS: endpoints.kafkaBrokers,
    LOG_LEVEL: 'warn',
    SALES_TOPIC: topics.sales,
    PRODUCTS_TOPIC: topics.products,
    STORES_TOPIC: topics.stores,
    DEADLETTER_TOPIC: topics.deadLetter,
    FILE_POLL_INTERVAL_MS: '50',
    LAST_LINE_IDLE_MS: '500',
    ROTATION_SETTLE_MS: '200',
    URL_POLL_INTERVAL_MS: '200',
    ...extra,
  };
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sp-producer-'));
}

/** Runs `sales-pipeline produce …` to completion. */
export function produceOnce(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'produce', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `sales-pipeline produce … --follow` in the background. */
export function produceFollowing(
  args: string[],
  env: NodeJS.ProcessEnv,
): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, 'produce', '--follow', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return Object.assign(child, { output: () => output });
}

/** Stops a following producer with SIGTERM and waits for it to exit. */
export function stopProducer(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('close', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

export const SALES_HEADER = 'Date,ID Référence produit,Quantité,ID Magasin\r\n';

/**
 * Every committed message of `topic` (read_committed), read from the beginning up to the end offsets the
 * topic had when called: no quiet window to guess, and any error fails the read. A partition whose end
 * is a transaction marker counts as read once the consumer's position has passed the marker.
 */
export async function readTopicToEnd(topic: string, timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const kafka = new Kafka({
    clientId: 'test-read-to-end',
    brokers: inject('stack').endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const reached = new Map<number, bigint>();
  const done = () => [...ends].every(([partition, end]) => (reached.get(partition) ?? 0n) >= end);
  const messages: KafkaMessage[] = [];
  if (done()) return messages;
  const consumer = kafka.consumer({
    groupId: `test-to-end-${process.pid}-${Date.now()}-${Math.random()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  let failure: Error | undefined;
  consumer.on(consumer.events.CRASH, ({ payload }) => (failure = payload.error));
  // Also emitted for a fetch that held only transaction markers: the position moves past them.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const next = BigInt(payload.lastOffset) + 1n;
    if (next > (reached.get(payload.partition) ?? 0n)) reached.set(payload.partition, next);
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        messages.push(...batch.messages.filter((m) => BigInt(m.offset) < (ends.get(batch.partition) ?? 0n)));
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (failure) throw failure;
      if (Date.now() > deadline)
        throw new Error(
          `${topic}: not read to its end offsets in ${timeoutMs} ms (ends ${JSON.stringify([...ends].map(([p, e]) => [p, String(e)]))}, reached ${JSON.stringify([...reached].map(([p, e]) => [p, String(e)]))})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/** Waits for a child process to exit by itself, failing after `timeoutMs` (the process is then killed). */
export function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not exit by itself within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
