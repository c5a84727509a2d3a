import { z } from 'zod';
import {
  cdcWorkerSchema,
  connectAuth,
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

export type AnalyticsConfig = z.infer<typeof schema> & {
  /** The Connect REST API's login, from CONNECT_USERNAME / CONNECT_PASSWORD; none when unset. */
  connectAuth: ReturnType<typeof connectAuth>;
};

export function loadAnalyticsConfig(env: Env = process.env): AnalyticsConfig {
  return { ...parseConfig(schema, env), connectAuth: connectAuth(env) };
}
