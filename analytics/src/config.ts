import { z } from 'zod';
import {
  cdcWorkerSchema,
  connectAuth,
  describeError,
  redactUrl,
  type ConnectAuth,
  httpUrlSchema,
  parseConfig,
  positiveIntSchema,
  sessionTimeoutMsSchema,
  type Env,
} from '@sales-pipeline/platform';

/** An unset or empty variable is no URL. */
const optionalUrl = z.preprocess((value) => (value === '' ? undefined : value), httpUrlSchema.optional());

/** DATABASE_URL (sales_app) writes the aggregates; the worker reads <CDC_TOPIC_PREFIX>.public.sales and .stores. */
const schema = cdcWorkerSchema({
  /** ANALYTICS_GROUP: consumer group, and the key of its offsets stored in PostgreSQL. */
  ANALYTICS_GROUP: z.string().min(1).default('sales-pipeline.analytics'),
  /** ANALYTICS_SESSION_TIMEOUT_MS: see CONSUMER_SESSION_TIMEOUT_MS. Default 30000, min 6000. */
  ANALYTICS_SESSION_TIMEOUT_MS: sessionTimeoutMsSchema,
  /** VERIFY_INTERVAL_MS: how often the aggregates are checked against the sales, ms. Default 5000. */
  VERIFY_INTERVAL_MS: positiveIntSchema(5000),
  /**
   * VERIFY_SETTLE_MS: a sale row's transaction commits within this of the time it was written: the check
   * leaves rows younger than this to the next one. Default 2000.
   */
  VERIFY_SETTLE_MS: positiveIntSchema(2000),
  /** VERIFY_PAGE_SIZE: at most this many changed sales per check (a backlog takes several). Default 50000. */
  VERIFY_PAGE_SIZE: positiveIntSchema(50_000),
  /**
   * CONNECT_URL (or KAFKA_CONNECT_URL): Kafka Connect's REST API. With it, the worker watches the Debezium
   * connector CDC_CONNECTOR_NAME and restarts it when it or its task FAILED (CONNECTOR_RESTART=off: only
   * reports it), checking every CONNECTOR_WATCH_INTERVAL_MS (default 15000). Login: CONNECT_USERNAME and
   * CONNECT_PASSWORD (or CONNECT_PASSWORD_FILE).
   */
  CONNECT_URL: optionalUrl,
  KAFKA_CONNECT_URL: optionalUrl,
  CDC_CONNECTOR_NAME: z.string().min(1).default('sales-postgres-cdc'),
  CONNECTOR_RESTART: z.enum(['on', 'off']).default('on'),
  CONNECTOR_WATCH_INTERVAL_MS: positiveIntSchema(15_000),
});

/**
 * Where the connector watch reads Connect: the URL without any login in it, and the login (from
 * CONNECT_USERNAME / CONNECT_PASSWORD, or the URL's own `user:password@`). `problem`: the login is
 * misconfigured; the worker runs without the watch and says so (the aggregates do not depend on it).
 */
export type ConnectorWatchTarget =
  { url: string; auth: ConnectAuth | undefined } | { url: string; problem: string };

export type AnalyticsConfig = z.infer<typeof schema> & {
  /** The connector watch's Connect, when CONNECT_URL (or KAFKA_CONNECT_URL) is set. */
  connect: ConnectorWatchTarget | undefined;
};

export function loadAnalyticsConfig(env: Env = process.env): AnalyticsConfig {
  const config = parseConfig(schema, env);
  const url = config.CONNECT_URL ?? config.KAFKA_CONNECT_URL;
  return { ...config, connect: url === undefined ? undefined : connectorWatchTarget(url, env) };
}

/** Pure but for CONNECT_PASSWORD_FILE, which it reads. */
export function connectorWatchTarget(value: string, env: Env): ConnectorWatchTarget {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return { url: redactUrl(value), problem: `CONNECT_URL: ${redactUrl(value)} is not a URL` };
  }
  const inUrl =
    parsed.username !== ''
      ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
      : undefined;
  parsed.username = '';
  parsed.password = '';
  const url = parsed.toString().replace(/\/+$/, '');
  try {
    return { url, auth: connectAuth(env) ?? inUrl };
  } catch (error) {
    return { url, problem: describeError(error) };
  }
}
