import { z } from 'zod';
import {
  databaseUrlSchema,
  kafkaBrokersSchema,
  logLevelSchema,
  parseConfig,
  type Env,
  metricsEnvShape,
} from '@sales-pipeline/platform';

const schema = z.object({
  KAFKA_BROKERS: kafkaBrokersSchema,
  /** DATABASE_URL: the application role (sales_app): writes the aggregates. */
  DATABASE_URL: databaseUrlSchema,
  LOG_LEVEL: logLevelSchema,
  /** ANALYTICS_GROUP: consumer group, and the key of its offsets stored in PostgreSQL. */
  ANALYTICS_GROUP: z.string().min(1).default('sales-pipeline.analytics'),
  /** CDC_TOPIC_PREFIX: Debezium's topic.prefix; the worker reads <prefix>.public.sales and .stores. */
  CDC_TOPIC_PREFIX: z.string().min(1).default('cdc'),
  /** ANALYTICS_SESSION_TIMEOUT_MS: see CONSUMER_SESSION_TIMEOUT_MS. Default 30000, min 6000. */
  ANALYTICS_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(30_000),
  ...metricsEnvShape,
});

export type AnalyticsConfig = z.infer<typeof schema>;

export function loadAnalyticsConfig(env: Env = process.env): AnalyticsConfig {
  return parseConfig(schema, env);
}
