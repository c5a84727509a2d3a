import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterRate, createRegistry, startMetricsServer } from './metrics-server.ts';

describe('CounterRate', () => {
  it('is the counter’s increase per second between its oldest and newest readings', () => {
    const rate = new CounterRate();
    rate.observe(100, 0);
    expect(rate.perSecond()).toBeUndefined();
    rate.observe(400, 1_000);
    rate.observe(1_000, 2_000);
    expect(rate.perSecond()).toBe(450);
  });

  it('keeps the last ten seconds only', () => {
    const rate = new CounterRate();
    rate.observe(0, 0);
    for (let s = 1; s <= 20; s++) rate.observe(s <= 10 ? 0 : (s - 10) * 50, s * 1_000);
    expect(rate.perSecond()).toBe(50);
  });
});

describe('/healthz', () => {
  it('reports the rate of the chosen counter, its labels filtered', async () => {
    const registry = createRegistry('test');
    const rows = new Counter({
      name: 'rows_total',
      help: 'rows',
      labelNames: ['kind'],
      registers: [registry],
    });
    const server = await startMetricsServer(registry, {
      port: 0,
      rate: { metric: 'rows_total', labels: { kind: 'sale' } },
    });
    try {
      const body = async () =>
        (await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json()) as { ratePerSecond: unknown };
      expect((await body()).ratePerSecond).toBeNull();
      await expect.poll(async () => (await body()).ratePerSecond, { timeout: 4_000, interval: 200 }).toBe(0);
      rows.inc({ kind: 'sale' }, 10);
      rows.inc({ kind: 'product' }, 1000);
      await expect
        .poll(async () => (await body()).ratePerSecond, { timeout: 4_000, interval: 200 })
        .toBeGreaterThan(0);
      // The sales' 10 over at least a second, never the products' 1,000.
      expect((await body()).ratePerSecond).toBeLessThanOrEqual(10);
    } finally {
      await server.close();
    }
  });
});
