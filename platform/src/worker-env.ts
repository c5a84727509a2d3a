import { z } from 'zod';
import { databaseUrlSchema, kafkaBrokersSchema, logLevelSchema, metricsEnvShape } from './config.ts';
import { DEFAULT_TOPICS } from './messages.ts';

/**
 * The keys every worker's schema starts with: KAFKA_BROKERS, a comma-separated `host:port` list
 * (required; the CLI fills it from a running native stack), and LOG_LEVEL (default `info`).
 */
const workerEnvShape = {
  KAFKA_BROKERS: kafkaBrokersSchema,
  LOG_LEVEL: logLevelSchema,
};

/**
 * The keys a worker that writes to PostgreSQL starts with: KAFKA_BROKERS, DATABASE_URL (the application
 * role's connection URL, sales_app; required) and LOG_LEVEL.
 */
const databaseWorkerEnvShape = {
  KAFKA_BROKERS: kafkaBrokersSchema,
  DATABASE_URL: databaseUrlSchema,
  LOG_LEVEL: logLevelSchema,
};

/** A worker's schema: KAFKA_BROKERS and LOG_LEVEL, the worker's own keys, then the metrics server's. */
export function workerSchema<S extends z.ZodRawShape>(own: S) {
  return z.object({ ...workerEnvShape, ...own, ...metricsEnvShape });
}

/**
 * The schema of a worker that writes to PostgreSQL: KAFKA_BROKERS, DATABASE_URL and LOG_LEVEL, the
 * worker's own keys, then the metrics server's.
 */
export function databaseWorkerSchema<S extends z.ZodRawShape>(own: S) {
  return z.object({ ...databaseWorkerEnvShape, ...own, ...metricsEnvShape });
}

/**
 * The schema of a worker that reads Debezium's change topics into PostgreSQL: as
 * {@link databaseWorkerSchema}, with CDC_TOPIC_PREFIX, Debezium's `topic.prefix` (a table's changes are on
 * `<prefix>.<schema>.<table>`; default `cdc`).
 */
export function cdcWorkerSchema<S extends z.ZodRawShape>(own: S) {
  return z.object({
    ...databaseWorkerEnvShape,
    ...own,
    CDC_TOPIC_PREFIX: z.string().min(1).default('cdc'),
    ...metricsEnvShape,
  });
}

/**
 * SALES_TOPIC / PRODUCTS_TOPIC / STORES_TOPIC / DEADLETTER_TOPIC: the pipeline's own topics, written by
 * the producer and read by the consumer. Defaults: {@link DEFAULT_TOPICS}.
 */
export const pipelineTopicsEnvShape = {
  SALES_TOPIC: z.string().min(1).default(DEFAULT_TOPICS.sales),
  PRODUCTS_TOPIC: z.string().min(1).default(DEFAULT_TOPICS.products),
  STORES_TOPIC: z.string().min(1).default(DEFAULT_TOPICS.stores),
  DEADLETTER_TOPIC: z.string().min(1).default(DEFAULT_TOPICS.deadLetter),
};

/** The pipeline's topics as the workers name them, from the keys of {@link pipelineTopicsEnvShape}. */
export function pipelineTopics(config: {
  SALES_TOPIC: string;
  PRODUCTS_TOPIC: string;
  STORES_TOPIC: string;
  DEADLETTER_TOPIC: string;
}): { sales: string; products: string; stores: string; deadLetter: string } {
  return {
    sales: config.SALES_TOPIC,
    products: config.PRODUCTS_TOPIC,
    stores: config.STORES_TOPIC,
    deadLetter: config.DEADLETTER_TOPIC,
  };
}

/**
 * A Kafka consumer's session timeout, ms: how long the group waits for a silent member before moving its
 * partitions (a crashed worker's partitions resume elsewhere after this). Default 30000; min 6000.
 */
export const sessionTimeoutMsSchema = z.coerce.number().int().min(6_000).default(30_000);
