import { z } from 'zod';
import { cdcWorkerSchema, parseConfig, sessionTimeoutMsSchema, type Env } from '@sales-pipeline/platform';

/** DATABASE_URL (sales_app) writes the aggregates; the worker reads <CDC_TOPIC_PREFIX>.public.sales and .stores. */
const schema = cdcWorkerSchema({
  /** ANALYTICS_GROUP: consumer group, and the key of its offsets stored in PostgreSQL. */
  ANALYTICS_GROUP: z.string().min(1).default('sales-pipeline.analytics'),
  /** ANALYTICS_SESSION_TIMEOUT_MS: see CONSUMER_SESSION_TIMEOUT_MS. Default 30000, min 6000. */
  ANALYTICS_SESSION_TIMEOUT_MS: sessionTimeoutMsSchema,
});

export type AnalyticsConfig = z.infer<typeof schema>;

export function loadAnalyticsConfig(env: Env = process.env): AnalyticsConfig {
  return parseConfig(schema, env);
}
