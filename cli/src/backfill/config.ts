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
  /** BACKFILL_POLL_MS: how often the backfill looks at the pipeline's progress, ms. Default 100. */
  BACKFILL_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(100),
  /**
   * BACKFILL_MAX_IN_FLIGHT: history lines published whose step has not reached the aggregates yet, at
   * most; the backfill waits before its next step beyond that, so that live sales queue behind this much
   * history only, not behind the whole file. 0: no limit (the fastest backfill; live sales wait behind
   * it). Default 2500.
   */
  BACKFILL_MAX_IN_FLIGHT: z.coerce.number().int().min(0).default(2_500),
  /** BACKFILL_READ_BYTES: bytes of history per step (one Kafka transaction). Default 32768 (~1,200 lines). */
  BACKFILL_READ_BYTES: z.coerce.number().int().min(4_096).default(32_768),
  /**
   * BACKFILL_CHUNK_SALES: history sales per Kafka message (a chunk, stored in one go and captured as one
   * change event); 0: one message a sale, as live sales go. Default 1000.
   */
  BACKFILL_CHUNK_SALES: z.coerce.number().int().min(0).max(10_000).default(1_000),
});

export type BackfillConfig = z.infer<typeof schema>;

export function loadBackfillConfig(env: Env): BackfillConfig {
  return parseConfig(schema, env);
}
