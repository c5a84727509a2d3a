import { Counter, Histogram } from 'prom-client';
import {
  chunkRuns,
  runPartitionWorker,
  withWorkerClients,
  type Logger,
  type WorkerEntry,
} from '@sales-pipeline/platform';
import { applyChanges } from './apply-changes.ts';
import { loadAnalyticsConfig, type AnalyticsConfig } from './config.ts';
import { ConnectorWatch } from './connector-watch.ts';
import { Verifier } from './verifier.ts';

/** The longest wait between two restarts of a connector that keeps failing. */
const MAX_CONNECTOR_BACKOFF_MS = 5 * 60_000;

/**
 * A backfill's chunks yield to live changes: a fetch's chunk events are applied in runs of at most
 * CHUNK_RUN_SALES sales (a transaction each, one chunk at least), for at most CHUNK_SLICE_MS of runs
 * (one run at least), so that a live change waits behind a slice of the history, not a whole fetch of it.
 */
const CHUNK_RUN_SALES = 2_000;
const CHUNK_SLICE_MS = 100;

/**
 * The analytics worker: applies Debezium's change events of the sales and stores tables to the
 * aggregate tables, incrementally and exactly once, until `stop` aborts.
 */
export async function analyze(
  config: AnalyticsConfig,
  logger: Logger,
  stop: AbortSignal,
  hooks: { afterBatch?: (changes: number, durationMs: number) => void } = {},
): Promise<void> {
  const salesTopic = `${config.CDC_TOPIC_PREFIX}.public.sales`;
  const storesTopic = `${config.CDC_TOPIC_PREFIX}.public.stores`;
  const chunksTopic = `${config.CDC_TOPIC_PREFIX}.public.sale_chunks`;
  const setup = { service: 'analytics', config, logger, database: { url: config.DATABASE_URL, max: 3 } };
  return withWorkerClients(setup, async (clients) => {
    const { log, kafka, pool, registry, missingTopics } = clients;
    const changes = new Counter({
      name: 'analytics_changes_total',
      help: 'Change events by outcome: applied, replay (already applied), undecodable',
      labelNames: ['table', 'outcome'],
      registers: [registry],
    });
    const commitToAggregate = new Histogram({
      name: 'analytics_commit_to_aggregate_seconds',
      help: 'From the change committed in PostgreSQL (Debezium source.ts_ms) to its aggregate delta committed',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const lineToAggregate = new Histogram({
      name: 'analytics_line_to_aggregate_seconds',
      help: "From the sale's feed line seen by the producer to its aggregate delta committed",
      buckets: [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const verifier = new Verifier(
      pool,
      {
        intervalMs: config.VERIFY_INTERVAL_MS,
        settleMs: config.VERIFY_SETTLE_MS,
        pageSize: config.VERIFY_PAGE_SIZE,
      },
      registry,
      log,
    );
    const { connect } = config;
    if (connect && 'problem' in connect)
      log.error(
        { connect: connect.url, problem: connect.problem },
        'the connector watch is off: its Connect login is misconfigured (a FAILED connector will not be restarted)',
      );
    const watch =
      connect && 'auth' in connect
        ? new ConnectorWatch(
            {
              url: connect.url,
              name: config.CDC_CONNECTOR_NAME,
              auth: connect.auth,
              intervalMs: config.CONNECTOR_WATCH_INTERVAL_MS,
              maxBackoffMs: MAX_CONNECTOR_BACKOFF_MS,
              restart: config.CONNECTOR_RESTART === 'on',
            },
            registry,
            log,
          )
        : undefined;
    await clients.serveMetrics({
      rate: { metric: 'analytics_changes_total', labels: { outcome: 'applied' } },
      // Waiting for its change topics is healthy (nothing to do yet); /healthz says which. A drift is
      // shown, not a reason to restart the worker: it stays until reconcile --repair.
      healthy: () => {
        const waitingFor = missingTopics();
        return {
          ok: true,
          detail: {
            ...verifier.health(),
            ...watch?.health(),
            ...(waitingFor.length > 0 ? { waitingFor } : {}),
          },
        };
      },
    });
    verifier.start();
    watch?.start();
    try {
      await follow();
    } finally {
      await watch?.stop();
      await verifier.stop();
    }

    async function follow(): Promise<void> {
      // Debezium creates a table's topic on its first change (`stack up` creates them beforehand; another
      // stack may not): wait for them rather than fail.
      await clients.waitForTopics(
        [salesTopic, storesTopic],
        (missing, changed) => {
          if (changed)
            log.info(
              { missing },
              'waiting for the change topics (Debezium creates them on the first change)',
            );
        },
        stop,
      );
      // A backfill's chunks: their topic may not exist until the first one (created here if so).
      const chunks = await clients.createMissingChangeTopics([chunksTopic]);
      await runPartitionWorker({
        kafka,
        pool,
        logger: log,
        group: config.ANALYTICS_GROUP,
        topics: [storesTopic, salesTopic, ...chunks],
        sessionTimeoutMs: config.ANALYTICS_SESSION_TIMEOUT_MS,
        stop,
        handleBatch: async (batch, { heartbeat }) => {
          const kind =
            batch.topic === salesTopic ? 'sales' : batch.topic === chunksTopic ? 'chunks' : 'stores';
          // A fetch of chunk events can name a million sales: read and applied a run at a time, for at
          // most CHUNK_SLICE_MS; the rest is fetched again (from the last offset handled) with the live
          // changes that came meanwhile, which go first instead of waiting behind the whole batch.
          let next: bigint | undefined;
          const sliceStarted = performance.now();
          const runs = kind === 'chunks' ? chunkRuns(batch.messages, CHUNK_RUN_SALES) : [batch.messages];
          for (const messages of runs) {
            if (next !== undefined && performance.now() - sliceStarted >= CHUNK_SLICE_MS) break;
            const started = performance.now();
            const result = await applyChanges(pool, {
              group: config.ANALYTICS_GROUP,
              kind,
              topic: batch.topic,
              partition: batch.partition,
              messages,
              signal: stop,
              onRetry: (error) => log.warn({ err: error }, 'database unavailable; retrying the batch'),
            });
            hooks.afterBatch?.(result.applied + result.replays, performance.now() - started);
            changes.inc({ table: kind, outcome: 'applied' }, result.applied);
            changes.inc({ table: kind, outcome: 'replay' }, result.replays);
            changes.inc({ table: kind, outcome: 'undecodable' }, result.undecodable);
            const now = Date.now();
            for (const seenAt of result.lineSeenAt) lineToAggregate.observe(Math.max(0, now - seenAt) / 1000);
            for (const message of messages) {
              const committedAt = sourceTimestamp(message.value);
              if (committedAt) commitToAggregate.observe(Math.max(0, now - committedAt) / 1000);
            }
            next = BigInt((messages.at(-1) as { offset: string }).offset) + 1n;
            // Still in the group between runs (a batch of runs can outlast the session timeout).
            await heartbeat();
            if (stop.aborted) break;
          }
          return next;
        },
      });
    }
  });
}

/** The analytics worker as `sales-pipeline analytics` runs it. */
export const worker: WorkerEntry<AnalyticsConfig> = {
  service: 'analytics',
  loadConfig: loadAnalyticsConfig,
  run: (config, logger, stop) => analyze(config, logger, stop),
};

function sourceTimestamp(value: Buffer | null): number | undefined {
  if (!value) return undefined;
  const match = /"ts_ms":(\d+)/.exec(value.subarray(value.indexOf('"source"')).toString('utf8', 0, 600));
  return match ? Number(match[1]) : undefined;
}
