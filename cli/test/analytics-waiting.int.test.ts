import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort, REPO_ROOT, waitFor } from '@sales-pipeline/stack';
import { waitingFor } from '../src/pipeline/pipeline-status.ts';

describe('analytics before its change topics exist', () => {
  it('is healthy and its /healthz names the topics it waits for', async () => {
    const { endpoints, secrets } = inject('stack');
    const prefix = `absent${Date.now().toString(36)}`;
    const port = await freePort();
    const worker = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'cli', 'bin', 'sales-pipeline.js'), 'analytics'],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          KAFKA_BROKERS: endpoints.kafkaBrokers,
          DATABASE_URL: secrets.databaseUrl,
          CDC_TOPIC_PREFIX: prefix,
          ANALYTICS_GROUP: `g.${prefix}`,
          METRICS_PORT: String(port),
          LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      },
    );
    try {
      const body = await waitFor(
        'analytics /healthz',
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`);
          const text = await response.text();
          return response.status === 200 && waitingFor(text).waitingFor ? text : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(waitingFor(body)).toEqual({ waitingFor: [`${prefix}.public.sales`, `${prefix}.public.stores`] });
    } finally {
      worker.kill('SIGTERM');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
  }, 60_000);
});
