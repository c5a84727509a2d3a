import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counter, gauge, histogram, metricSet } from './metric-set.ts';

class ExampleMetrics extends metricSet({
  reads: counter({ name: 'example_reads_total', help: 'Reads', labelNames: ['feed'] }),
  behind: gauge({ name: 'example_behind', help: 'Behind' }),
  seconds: histogram({ name: 'example_seconds', help: 'Seconds', buckets: [0.1, 1] }),
}) {}

describe('metricSet', () => {
  it('registers every declared metric in the registry it is given, under its key', async () => {
    const registry = new Registry();
    const metrics = new ExampleMetrics(registry);
    metrics.reads.inc({ feed: 'ventes' }, 2);
    metrics.behind.set(5);
    metrics.seconds.observe(0.5);
    const text = await registry.metrics();
    expect(text).toContain('example_reads_total{feed="ventes"} 2');
    expect(text).toContain('example_behind 5');
    expect(text).toContain('example_seconds_bucket{le="1"} 1');
  });

  it('creates separate metrics for separate registries', () => {
    const first = new ExampleMetrics(new Registry());
    const second = new ExampleMetrics(new Registry());
    expect(first.reads).not.toBe(second.reads);
  });
});
