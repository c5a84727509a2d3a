import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { withWorkerClients } from './worker-clients.ts';

const logger = createLogger('test', 'silent', 'json');
// Nothing here connects: the pool and the Kafka client connect on first use, and no test uses them.
const database = { url: 'postgres://u@127.0.0.1:1/none', max: 1 };

describe('withWorkerClients', () => {
  it('serves no metrics without METRICS_PORT', async () => {
    const config = { KAFKA_BROKERS: ['127.0.0.1:1'], METRICS_HOST: '127.0.0.1' };
    const port = await withWorkerClients({ service: 'test', config, logger }, ({ serveMetrics }) =>
      serveMetrics({}),
    );
    expect(port).toBeUndefined();
  });

  it('closes the metrics server, then the pool, however the work ends', async () => {
    const config = { KAFKA_BROKERS: ['127.0.0.1:1'], METRICS_PORT: 0, METRICS_HOST: '127.0.0.1' };
    let port: number | undefined;
    let pool: { ended: boolean } | undefined;
    const failure = new Error('the work failed');
    const run = withWorkerClients({ service: 'test', config, logger, database }, async (clients) => {
      pool = clients.pool;
      port = await clients.serveMetrics({ healthy: () => ({ ok: true, detail: 'fine' }) });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toEqual({ ok: true, detail: 'fine' });
      throw failure;
    });
    await expect(run).rejects.toBe(failure);
    expect(pool?.ended).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
