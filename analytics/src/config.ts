import { z } from 'zod';
import {
  cdcWorkerSchema,
  parseConfig,
  positiveIntSchema,
  sessionTimeoutMsSchema,
  type Env,
} from '@sales-pipeline/platform';

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
});

export type AnalyticsConfig = z.infer<typeof schema>;

export function loadAnalyticsConfig(env: Env = process.env): AnalyticsConfig {
  return parseConfig(schema, env);
}
