import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';

/** The counter whose rate a worker reports in `/healthz` (what `status` shows as the worker's rate). */
export interface RateCounter {
  metric: string;
  /** Only the samples with these labels (e.g. `{ kind: 'sale' }`); all of them when absent. */
  labels?: Record<string, string>;
}

/** Over how long the rate in `/healthz` is measured: the counter is read once a second. */
const RATE_WINDOW_SECONDS = 10;

/** The current total of a counter of `registry`, summed over the samples whose labels match. */
async function counterTotal(registry: Registry, counter: RateCounter): Promise<number | undefined> {
  const metric = registry.getSingleMetric(counter.metric);
  if (!metric) return undefined;
  const { values } = await metric.get();
  let total = 0;
  for (const sample of values) {
    const labels = sample.labels as Record<string, unknown>;
    if (Object.entries(counter.labels ?? {}).every(([k, v]) => labels[k] === v)) total += sample.value;
  }
  return total;
}

/**
 * Per-second rate of a counter over the last {@link RATE_WINDOW_SECONDS} s, kept by the worker itself so
 * that `status` reads it at once instead of sampling every worker twice. Pure apart from the clock.
 */
export class CounterRate {
  private readonly samples: Array<{ at: number; total: number }> = [];

  observe(total: number, at: number): void {
    this.samples.push({ at, total });
    while (this.samples.length > RATE_WINDOW_SECONDS + 1) this.samples.shift();
  }

  /** Undefined until two readings a second apart exist. */
  perSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 1000) return undefined;
    return Math.max(0, (last.total - first.total) / ((last.at - first.at) / 1000));
  }
}

export interface MetricsServer {
  /** The port actually bound (useful when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

/**
 * How often the event-loop delay is sampled (prom-client's default is every 10 ms: 100 timer wake-ups a
 * second, which cost an idle Node 24 process ~0.5 % of a core here; at 100 ms the cost is within an idle
 * process's noise).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** A registry with the process metrics (memory, CPU, event loop) and a `service` label. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return registry;
}

/**
 * Serves `GET /metrics` (Prometheus text format) and `GET /healthz` (200 while `healthy()` is true,
 * 503 otherwise, with a JSON body) on 127.0.0.1 unless another host is given.
 */
export function startMetricsServer(
  registry: Registry,
  options: {
    port: number;
    host?: string;
    healthy?: () => { ok: boolean; detail?: unknown };
    /** The counter whose rate `/healthz` reports as `ratePerSecond`. */
    rate?: RateCounter;
  },
): Promise<MetricsServer> {
  const rate = new CounterRate();
  const rateCounter = options.rate;
  const sampler = rateCounter
    ? setInterval(() => {
        void counterTotal(registry, rateCounter).then((total) => {
          if (total !== undefined) rate.observe(total, Date.now());
        });
      }, 1000).unref()
    : undefined;
  const server = http.createServer((request, response) => {
    void (async () => {
      if (request.url === '/metrics') {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(await registry.metrics());
      } else if (request.url === '/healthz') {
        const health = options.healthy?.() ?? { ok: true };
        const ratePerSecond = rateCounter ? (rate.perSecond() ?? null) : undefined;
        response.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify(ratePerSecond === undefined ? health : { ...health, ratePerSecond }));
      } else {
        response.writeHead(404).end();
      }
    })().catch(() => response.writeHead(500).end());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => {
          clearInterval(sampler);
          return new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
  });
}
