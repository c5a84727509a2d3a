import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
