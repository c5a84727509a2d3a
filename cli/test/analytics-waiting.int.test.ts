import { describe, expect, inject, it } from 'vitest';
import { freePort, waitFor } from '@sales-pipeline/stack';
import { startWorker, stopWorker } from '../../test-support/cli-processes.ts';
import { waitingFor } from '../src/pipeline/pipeline-status.ts';

describe('analytics before its change topics exist', () => {
  it('is healthy and its /healthz names the topics it waits for', async () => {
    const { endpoints, secrets } = inject('stack');
    const prefix = `absent${Date.now().toString(36)}`;
    const port = await freePort();
    const worker = startWorker(['analytics'], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KAFKA_BROKERS: endpoints.kafkaBrokers,
      DATABASE_URL: secrets.databaseUrl,
      CDC_TOPIC_PREFIX: prefix,
      ANALYTICS_GROUP: `g.${prefix}`,
      METRICS_PORT: String(port),
      LOG_LEVEL: 'warn',
    });
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
      await stopWorker(worker);
    }
  }, 60_000);
});
