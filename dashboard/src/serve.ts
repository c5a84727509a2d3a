import { Gauge } from 'prom-client';
import {
  createRegistry,
  startMetricsServer,
  type Logger,
  type MetricsServer,
} from '@sales-pipeline/platform';
import { DEFAULT_DASHBOARD_PORT, type DashboardConfig } from './config.ts';
import { removeDashboardRecord, writeDashboardRecord } from './dashboard-record.ts';
import { DashboardAccess } from './server/access.ts';
import { DashboardHub } from './server/hub.ts';
import { startHttpServer, type DashboardServer } from './server/http-server.ts';
import { PipelineSource, type CollectStatus } from './server/pipeline-source.ts';
import { createReaderPool, type DeadLetterQuery } from './server/sales-source.ts';
import type { ExplainQuery } from './shared/types.ts';

export interface ServeOptions {
  config: DashboardConfig;
  /** Where the pipeline runs (`SALES_PIPELINE_HOME`): the dashboard writes its URL there for `status`. */
  home: string;
  /** `collectStatus` of `sales-pipeline status`, reading through the reporting role. */
  collectStatus: CollectStatus;
  /** `report explain` through a client of the dashboard's pool: what a click on a table's row opens. */
  explain?: ExplainQuery;
  /** The dead-letter queries of `sales-pipeline dlq list`. */
  deadLetters: DeadLetterQuery;
  logger: Logger;
  signal: AbortSignal;
  onListening?: (url: string) => void;
}

/**
 * Serves the dashboard until `signal` aborts: the page and its event stream on DASHBOARD_HOST:PORT,
 * /metrics and /healthz on METRICS_PORT when set (healthy while the database answers).
 */
export async function serveDashboard(options: ServeOptions): Promise<void> {
  const { config, logger } = options;
  const pool = createReaderPool(config.DATABASE_READER_URL);
  const pipeline = new PipelineSource(options.collectStatus, pool, config.KAFKA_BROKERS);
  const hub = new DashboardHub({ pool, pipeline, deadLetters: options.deadLetters });
  let server: DashboardServer | undefined;
  let metrics: MetricsServer | undefined;
  try {
    const explainQuery = options.explain;
    const explain = explainQuery
      ? async (dimension: string, key: string, after: string | undefined) => {
          const client = await pool.connect();
          try {
            return await explainQuery(client, dimension, key, { limit: 50, after });
          } finally {
            client.release();
          }
        }
      : undefined;
    const access =
      config.users.size > 0 || config.token !== undefined
        ? new DashboardAccess({
            users: config.users,
            token: config.token,
            secureCookies: config.tls !== undefined,
          })
        : undefined;
    const served = { host: config.DASHBOARD_HOST, explain, access, tls: config.tls };
    server = await startHttpServer(hub, {
      ...served,
      port: config.DASHBOARD_PORT ?? DEFAULT_DASHBOARD_PORT,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' || config.DASHBOARD_PORT !== undefined) throw error;
      logger.warn(`port ${DEFAULT_DASHBOARD_PORT} is taken: the dashboard listens on a free port instead`);
      return startHttpServer(hub, { ...served, port: 0 });
    });
    hub.start();
    writeDashboardRecord(options.home, {
      pid: process.pid,
      url: server.url,
      startedAt: new Date().toISOString(),
    });
    if (config.METRICS_PORT !== undefined) {
      const registry = createRegistry('dashboard');
      new Gauge({
        name: 'dashboard_open_pages',
        help: 'Pages connected to the event stream',
        registers: [registry],
        collect() {
          this.set(hub.clients);
        },
      });
      metrics = await startMetricsServer(registry, {
        port: config.METRICS_PORT,
        host: config.METRICS_HOST,
        healthy: () => ({ ok: hub.sources.database.ok, detail: hub.sources }),
      });
    }
    logger.info({ url: server.url }, 'dashboard listening');
    options.onListening?.(server.url);
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve();
      else options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    removeDashboardRecord(options.home);
    await server?.close();
    await metrics?.close();
    await hub.close();
    await pipeline.close();
    await pool.end();
  }
}
