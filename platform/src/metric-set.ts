import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What every metric is declared with: its Prometheus name, its help text and its label names. */
export interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** A metric declared, not yet registered: registering it in a registry creates it there. */
export type MetricDefinition<M> = (registry: Registry) => M;

/** A counter, created in the registry it is registered in. */
export function counter<L extends string = string>(spec: MetricSpec<L>): MetricDefinition<Counter<L>> {
  return (registry) => new Counter<L>({ ...spec, registers: [registry] });
}

/** A gauge, created in the registry it is registered in. */
export function gauge<L extends string = string>(spec: MetricSpec<L>): MetricDefinition<Gauge<L>> {
  return (registry) => new Gauge<L>({ ...spec, registers: [registry] });
}

/** A histogram with its bucket bounds, created in the registry it is registered in. */
export function histogram<L extends string = string>(
  spec: MetricSpec<L> & { buckets: number[] },
): MetricDefinition<Histogram<L>> {
  return (registry) => new Histogram<L>({ ...spec, registers: [registry] });
}

/** The metrics a set of definitions creates, by the same keys. */
export type MetricsOf<D extends Record<string, MetricDefinition<unknown>>> = {
  readonly [K in keyof D]: ReturnType<D[K]>;
};

/**
 * A worker's metrics as a class, declared once as data: `class ProducerMetrics extends metricSet({
 * linesRead: counter({ … }) }) {}`; `new ProducerMetrics(registry)` registers every metric in `registry`
 * and holds each under its key.
 */
export function metricSet<D extends Record<string, MetricDefinition<unknown>>>(
  definitions: D,
): new (registry: Registry) => MetricsOf<D> {
  return class {
    constructor(registry: Registry) {
      for (const [key, define] of Object.entries(definitions)) {
        (this as Record<string, unknown>)[key] = define(registry);
      }
    }
  } as new (registry: Registry) => MetricsOf<D>;
}
