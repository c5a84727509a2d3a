import { z } from 'zod';
import {
  databaseWorkerSchema,
  parseConfig,
  pipelineTopicsEnvShape,
  positiveIntSchema,
  sessionTimeoutMsSchema,
  type Env,
} from '@sales-pipeline/platform';
import { pendingAlertAfterSchema } from './duration.ts';
import { staleEnvShape, stalePolicies, type StalePolicies } from './stale-policy.ts';

const schema = databaseWorkerSchema({
  /** CONSUMER_GROUP: Kafka consumer group, also the key of the offsets stored in PostgreSQL. */
  CONSUMER_GROUP: z.string().min(1).default('sales-pipeline.consumer'),
  ...pipelineTopicsEnvShape,
  /**
   * CONSUMER_MAX_BYTES_PER_PARTITION: largest fetch per partition, bytes; bounds a batch. Default 1 MiB
   * (~4,000 sales): with CONSUMER_CONCURRENCY batches decoded at once and the next fetch on its way, 4 MiB
   * batches of a backlog (~16,000 sales each, ~1 KB of heap per sale in flight) outgrew the workers' 64 MB
   * heap (WORKER_NODE_FLAGS) and the consumer died out of memory on every restart.
   */
  CONSUMER_MAX_BYTES_PER_PARTITION: positiveIntSchema(1024 * 1024),
  /**
   * CONSUMER_MAX_WAIT_MS: how long a fetch waits at the broker when there is nothing new, ms. Data that
   * arrives meanwhile answers it at once, so a longer wait costs no latency, only fewer idle round trips.
   * Default 1000.
   */
  CONSUMER_MAX_WAIT_MS: positiveIntSchema(1000),
  /**
   * CONSUMER_SESSION_TIMEOUT_MS: how long the group waits for a silent member before moving its
   * partitions (a crashed consumer's partitions resume elsewhere after this). Default 30000; min 6000.
   */
  CONSUMER_SESSION_TIMEOUT_MS: sessionTimeoutMsSchema,
  /**
   * CONSUMER_CONCURRENCY: partitions applied at the same time, each batch in its own transaction (the
   * database works on one while the next is decoded). Default 3; DATABASE_POOL_SIZE must be at least this.
   */
  CONSUMER_CONCURRENCY: positiveIntSchema(3),
  /** DATABASE_POOL_SIZE: connections to PostgreSQL. Default 3. */
  DATABASE_POOL_SIZE: positiveIntSchema(3),
  /**
   * CONSUMER_FAILPOINT: test-only fault injection. `crash-after-commit:N` kills the process (SIGKILL)
   * right after the Nth batch's database commit, before anything else happens. Never set in production.
   */
  CONSUMER_FAILPOINT: z
    .string()
    .regex(/^crash-after-commit:\d+$/, 'must be crash-after-commit:<N>')
    .optional(),
  /**
   * PENDING_ALERT_AFTER: a sale pending (its product or store unknown) for longer than this is a warning
   * in /healthz, in consumer_pending_sales_overdue and in `status`. Seconds, or with a unit: `10m`, `1h`.
   * Default 10m.
   */
  PENDING_ALERT_AFTER: pendingAlertAfterSchema,
  /**
   * FEED_STALE_AFTER (default 30m), FEED_ACTIVE_HOURS (`08:00-20:00`; unset: always), FEED_TIMEZONE (the
   * active hours' zone; default the machine's), each overridable per feed with a `_<FEED>` suffix: a feed
   * silent for longer than this within its active hours is stale (status, dashboard, one Slack message).
   */
  ...staleEnvShape,
});

export type ConsumerConfig = z.infer<typeof schema> & { stale: StalePolicies };

/** The consumer's configuration, validated once at start. */
export function loadConsumerConfig(env: Env = process.env): ConsumerConfig {
  const config = parseConfig(schema, env);
  return { ...config, stale: stalePolicies(config, env) };
}
