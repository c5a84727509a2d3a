import { z } from 'zod';
import { cdcWorkerSchema, parseConfig, pipelineTopicsEnvShape, type Env } from '@sales-pipeline/platform';
import { CDC_SLOT_NAME } from '@sales-pipeline/stack';

/**
 * What `backfill` waits with once its file is published: the database (DATABASE_URL, sales_app), the
 * groups whose progress it follows (the workers' own settings, same defaults) and Debezium's slot.
 */
const schema = cdcWorkerSchema({
  ...pipelineTopicsEnvShape,
  CONSUMER_GROUP: z.string().min(1).default('sales-pipeline.consumer'),
  NOTIFIER_GROUP: z.string().min(1).default('sales-pipeline.notifier'),
  /** CDC_SLOT_NAME: Debezium's replication slot (the connector's `slot.name`). */
  CDC_SLOT_NAME: z.string().min(1).default(CDC_SLOT_NAME),
  /** BACKFILL_POLL_MS: how often the wait looks at the pipeline's progress, ms. Default 500. */
  BACKFILL_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
});

export type BackfillConfig = z.infer<typeof schema>;

export function loadBackfillConfig(env: Env): BackfillConfig {
  return parseConfig(schema, env);
}
