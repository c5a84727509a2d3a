import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { createPool, type Pool } from './db.ts';
import { createKafka } from './kafka.ts';
import { databaseAccessError, MIGRATED_QUERY, notMigratedError } from './database-access-error.ts';
import { kafkaAccessError } from './kafka-security.ts';
import { createMissingChangeTopics, waitForTopics } from './kafka-topics.ts';
import type { Logger } from './logger.ts';
import {
  createRegistry,
  startMetricsServer,
  type MetricsServer,
  type RateCounter,
} from './metrics-server.ts';

/** The keys of a worker's config its clients are made from (see workerEnvShape and metricsEnvShape). */
export interface WorkerClientsConfig {
  KAFKA_BROKERS: string[];
  METRICS_PORT?: number | undefined;
  METRICS_HOST: string;
}

export interface WorkerClientsOptions {
  /** `producer`, `consumer`, …: the registry's `service` label, part of the Kafka client id. */
  service: string;
  config: WorkerClientsConfig;
  logger: Logger;
}

/** A worker's connections and metrics, made and closed by {@link withWorkerClients}. */
export interface WorkerClients {
  /** `logger.child({ module: service })`, also the Kafka client's and the pool's logger. */
  log: Logger;
  /** Client id `sales-pipeline-<service>`. */
  kafka: Kafka;
  /** The worker's metrics, with the process metrics and a `service` label. */
  registry: Registry;
  /**
   * Serves `registry` on /metrics and `healthy()` on /healthz when METRICS_PORT is set; returns the port
   * bound (undefined without METRICS_PORT). The server is closed before the pool.
   */
  serveMetrics(options: {
    rate?: RateCounter;
    healthy?: () => { ok: boolean; detail?: unknown };
  }): Promise<number | undefined>;
  /**
   * Waits until every topic exists or `stop` aborts, through an admin client connected for the wait only.
   * `onWait` is called at each check with the topics missing, and whether they differ from the last
   * check's (log only then).
   */
  waitForTopics(
    topics: string[],
    onWait: (missing: string[], changed: boolean) => void,
    stop: AbortSignal,
  ): Promise<void>;
  /**
   * Creates the change topics of `topics` that do not exist yet (see createMissingChangeTopics) and returns
   * those that exist; one that could not be created is logged, with what to do, and left out.
   */
  createMissingChangeTopics(topics: string[]): Promise<string[]>;
  /** The topics the wait in progress still misses (none when no wait is in progress), for /healthz. */
  missingTopics(): string[];
}

/**
 * Makes a worker's clients, runs `work` with them, then closes them in order however `work` ends: the
 * metrics server, then the pool (`pool.end()` waits for the connections `work` still holds). `work`
 * closes what it opened itself (its consumer, its producers) before it returns. With `database`, the
 * worker also gets a pool on DATABASE_URL, named `sales-pipeline-<service>` in pg_stat_activity.
 */
export async function withWorkerClients<T>(
  options: WorkerClientsOptions & { database: { url: string; max: number } },
  work: (clients: WorkerClients & { pool: Pool }) => Promise<T>,
): Promise<T>;
export async function withWorkerClients<T>(
  options: WorkerClientsOptions,
  work: (clients: WorkerClients) => Promise<T>,
): Promise<T>;
export async function withWorkerClients<T>(
  options: WorkerClientsOptions & { database?: { url: string; max: number } },
  work: (clients: WorkerClients & { pool: Pool }) => Promise<T>,
): Promise<T> {
  const { service, config, database } = options;
  const log = options.logger.child({ module: service });
  const pool = database
    ? createPool(database.url, log, { max: database.max, applicationName: `sales-pipeline-${service}` })
    : undefined;
  const kafka = createKafka({
    clientId: `sales-pipeline-${service}`,
    brokers: config.KAFKA_BROKERS,
    logger: log,
  });
  const registry = createRegistry(service);
  let metricsServer: MetricsServer | undefined;
  let missingTopics: string[] = [];
  const clients: WorkerClients = {
    log,
    kafka,
    registry,
    serveMetrics: async ({ rate, healthy }) => {
      if (config.METRICS_PORT === undefined) return undefined;
      metricsServer = await startMetricsServer(registry, {
        port: config.METRICS_PORT,
        host: config.METRICS_HOST,
        rate,
        healthy,
      });
      return metricsServer.port;
    },
    waitForTopics: async (topics, onWait, stop) => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await waitForTopics(
          admin,
          topics,
          (missing) => {
            const changed = missing.join() !== missingTopics.join();
            missingTopics = missing;
            onWait(missing, changed);
          },
          stop,
        );
      } finally {
        await admin.disconnect();
      }
      missingTopics = [];
    },
    createMissingChangeTopics: async (topics) => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { ready, refused } = await createMissingChangeTopics(admin, topics);
        if (refused !== undefined)
          log.error(
            { err: refused, missing: topics.filter((t) => !ready.includes(t)) },
            'could not create a change topic: create it (1 partition) and restart this worker; until then backfills in chunks are not counted (or set BACKFILL_CHUNK_SALES=0)',
          );
        return ready;
      } finally {
        await admin.disconnect();
      }
    },
    missingTopics: () => missingTopics,
  };
  try {
    // A database that refuses the login or the URL's TLS, or was never migrated: said at once, before any
    // work retries it forever.
    if (pool && database) {
      const migrated = await pool.query<{ migrated: boolean }>(MIGRATED_QUERY).then(
        (result) => result.rows[0]?.migrated,
        (error: unknown) => {
          const refused = databaseAccessError(error, database.url);
          if (refused) throw refused;
          log.warn({ err: error }, 'the database does not answer yet; the worker goes on and retries');
          return undefined;
        },
      );
      if (migrated === false) throw notMigratedError(database.url);
    }
    // Without `database` the overloads hand `work` no pool, so it never sees this undefined.
    return await work({ ...clients, pool: pool as Pool });
  } catch (error) {
    // Refused credentials, an untrusted certificate: said as such, and not retried by a supervisor.
    throw kafkaAccessError(error, config.KAFKA_BROKERS) ?? databaseAccessError(error, database?.url) ?? error;
  } finally {
    await metricsServer?.close();
    await pool?.end();
  }
}
