import { Kafka, logLevel, type Admin } from 'kafkajs';
import type pg from 'pg';
import { kafkaSecurity } from '@sales-pipeline/platform';
import { redactSecrets } from '../shared/redact.ts';
import type { PipelineSection } from '../shared/types.ts';
import { LATENCY_HOPS, LatencyWindow, parseHistogram } from './histogram.ts';
import { partitionLag, type StoredOffset } from './lag.ts';

/**
 * What the dashboard needs of `sales-pipeline status --json` (cli/src/pipeline/pipeline-status.ts
 * `collectStatus`, which the command passes in): the same shape, the parts shown here.
 */
export interface StatusLike {
  healthy: boolean;
  mode: string;
  endpoints: { kafkaBrokers: string; connectUrl: string } | null;
  components: Array<{ name: string; healthy: boolean; detail: string }>;
  supervisor: { pid: number; alive: boolean; demo: boolean; startedAt: string } | null;
  workers: Array<{
    name: string;
    pid: number | null;
    alive: boolean;
    /** /healthz answered 200 (true), another status (false), or the worker serves none (null). */
    healthy: boolean | null;
    metricsUrl: string | null;
    restarts: number;
    failed: string | null;
    /** Rows (or lines, changes, posts) per second over the sampling interval. */
    ratePerSecond: number | null;
    lastError: { at: string; message: string } | null;
  }>;
  connector: { name: string; state: string; tasks: Array<{ id: number; state: string }> } | null;
  replicationSlot: { name: string; active: boolean; lagBytes: number } | null;
  errors: string[];
}

/**
 * Reads the status; `pool` is the dashboard's reader pool, for the one database figure it needs (the
 * replication slot), so that reading the status every few seconds opens no connection of its own.
 */
export type CollectStatus = (pool: pg.Pool) => Promise<StatusLike>;

/** The workers whose histograms give the per-hop latency: only their /metrics are read. */
const HOP_WORKERS: ReadonlySet<string> = new Set(LATENCY_HOPS.map((h) => h.worker));

async function fetchText(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pipeline section: `collectStatus` (workers, components, connector, slot), plus what status does
 * not say: the topics with their partitions' end offsets, each consumer group's lag per partition (the
 * offsets the workers store in PostgreSQL against the topics' ends), and p50/p99 per hop from the
 * workers' latency histograms. One Kafka admin connection is kept and remade after a failure.
 */
export class PipelineSource {
  private admin: { brokers: string; admin: Admin } | undefined;
  private readonly latency = new LatencyWindow(60_000);

  constructor(
    private readonly collect: CollectStatus,
    private readonly pool: pg.Pool,
    private readonly fallbackBrokers: string | undefined,
  ) {}

  private async kafkaAdmin(brokers: string): Promise<Admin> {
    if (this.admin?.brokers === brokers) return this.admin.admin;
    await this.dropAdmin();
    const admin = new Kafka({
      ...kafkaSecurity(),
      clientId: 'sales-pipeline-dashboard',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      requestTimeout: 5000,
      retry: { retries: 1, initialRetryTime: 200 },
    }).admin();
    await admin.connect();
    this.admin = { brokers, admin };
    return admin;
  }

  private async dropAdmin(): Promise<void> {
    const current = this.admin;
    this.admin = undefined;
    await current?.admin.disconnect().catch(() => undefined);
  }

  private async topics(brokers: string | undefined, errors: string[]) {
    const ends = new Map<string, Map<number, number>>();
    const topics: PipelineSection['topics'] = [];
    if (!brokers) return { ends, topics };
    try {
      const admin = await this.kafkaAdmin(brokers);
      // Kafka's and Connect's internal topics (`__consumer_offsets`, `_connect-*`) are left out.
      const names = (await admin.listTopics()).filter((t) => !t.startsWith('_')).sort();
      const offsets = await Promise.all(names.map((t) => admin.fetchTopicOffsets(t)));
      names.forEach((name, i) => {
        const partitions = (offsets[i] ?? [])
          .map((o) => ({ partition: o.partition, endOffset: Number(o.high) }))
          .sort((a, b) => a.partition - b.partition);
        ends.set(name, new Map(partitions.map((p) => [p.partition, p.endOffset])));
        topics.push({ name, partitions });
      });
    } catch (error) {
      errors.push(`kafka: ${(error as Error).message}`);
      await this.dropAdmin();
    }
    return { ends, topics };
  }

  private async storedOffsets(errors: string[]): Promise<StoredOffset[]> {
    try {
      const { rows } = await this.pool.query<{
        consumer_group: string;
        topic: string;
        kafka_partition: number;
        next_offset: string;
      }>('SELECT consumer_group, topic, kafka_partition, next_offset FROM consumer_offsets');
      return rows.map((r) => ({
        group: r.consumer_group,
        topic: r.topic,
        partition: r.kafka_partition,
        nextOffset: Number(r.next_offset),
      }));
    } catch (error) {
      errors.push(`database: ${(error as Error).message}`);
      return [];
    }
  }

  private async latencies(status: StatusLike, now: number): Promise<PipelineSection['latency']> {
    const texts = new Map(
      await Promise.all(
        status.workers
          .filter((w) => HOP_WORKERS.has(w.name))
          .map(
            async (w) =>
              [w.name, w.alive && w.metricsUrl ? await fetchText(w.metricsUrl) : undefined] as const,
          ),
      ),
    );
    return LATENCY_HOPS.map((hop) => {
      const text = texts.get(hop.worker);
      const h = text ? parseHistogram(text, hop.metric) : undefined;
      if (h) this.latency.observe(hop.metric, h, now);
      return { hop: hop.hop, worker: hop.worker, metric: hop.metric, ...this.latency.quantiles(hop.metric) };
    });
  }

  async read(): Promise<PipelineSection> {
    const status = await this.collect(this.pool);
    const errors = [...status.errors];
    const brokers = status.endpoints?.kafkaBrokers ?? this.fallbackBrokers;
    const [{ ends, topics }, stored, latency] = await Promise.all([
      this.topics(brokers, errors),
      this.storedOffsets(errors),
      this.latencies(status, Date.now()),
    ]);
    const clean = (s: string) => redactSecrets(s);
    return {
      at: new Date().toISOString(),
      healthy: status.healthy,
      mode: status.mode,
      components: status.components.map((c) => ({
        name: c.name,
        healthy: c.healthy,
        detail: clean(c.detail),
      })),
      supervisor: status.supervisor,
      workers: status.workers.map((w) => ({
        name: w.name,
        pid: w.pid,
        alive: w.alive,
        healthy: w.healthy,
        restarts: w.restarts,
        failed: w.failed === null ? null : clean(w.failed),
        ratePerSecond: w.ratePerSecond,
        lastError: w.lastError ? { at: w.lastError.at, message: clean(w.lastError.message) } : null,
      })),
      connector: status.connector,
      replicationSlot: status.replicationSlot,
      topics,
      groups: partitionLag(stored, ends),
      latency,
      errors: errors.map(clean),
    };
  }

  async close(): Promise<void> {
    await this.dropAdmin();
  }
}
