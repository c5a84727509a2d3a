import { z } from 'zod';
import { databaseUrlSchema, logLevelSchema, parseConfig, type Env } from '@sales-pipeline/platform';
import {
  loadStackConfig,
  type StackConfig,
  nativeSecrets,
  nativeKafkaClientEnv,
  nativeStatus,
} from '@sales-pipeline/stack';

const schema = z.object({
  /** LOG_LEVEL: pino level of the command's own logs (stderr). Default `info`. */
  LOG_LEVEL: logLevelSchema,
  /**
   * DATABASE_ADMIN_URL: a role that owns the schema (runs migrations). Optional: without it, `migrate`
   * uses the native stack's superuser.
   */
  DATABASE_ADMIN_URL: databaseUrlSchema.optional(),
  /** SALES_APP_PASSWORD / SALES_READER_PASSWORD / SALES_CDC_PASSWORD: set on the roles by `migrate` when given. */
  SALES_APP_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  SALES_READER_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  SALES_CDC_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
});

export type CliConfig = z.infer<typeof schema>;

/** The command's configuration, validated once. */
export function loadCliConfig(env: Env = process.env): CliConfig {
  return parseConfig(schema, env);
}

/**
 * The environment a worker command runs with: the process's own, with the endpoints of a running native
 * stack filled in where they are not set, so that `sales-pipeline produce …` works right after `stack up`.
 */
export async function envWithStackDefaults(env: Env = process.env): Promise<Env> {
  if (env.KAFKA_BROKERS && env.DATABASE_URL) return env;
  const config = loadStackConfig(env);
  const status = await nativeStatus(config);
  if (!status.endpoints) return env;
  const secrets = nativeSecrets(config);
  // A secured native stack: TLS and SCRAM settings for every Kafka client (the password as a file). This
  // command's own clients read them from its environment too (createKafka), unless already set.
  const kafkaClient = nativeKafkaClientEnv(config);
  for (const [key, value] of Object.entries(kafkaClient)) process.env[key] ??= value;
  return {
    ...kafkaClient,
    KAFKA_BROKERS: status.endpoints.kafkaBrokers,
    KAFKA_CONNECT_URL: status.endpoints.connectUrl,
    DATABASE_URL: secrets?.databaseUrl,
    DATABASE_READER_URL: secrets?.readerDatabaseUrl,
    ...env,
  };
}

const feedsSchema = z.object({
  /** SALES_FEED / PRODUCTS_FEED / STORES_FEED: the feeds `up` runs a producer for (file paths or http(s) URLs). */
  SALES_FEED: z.string().min(1).optional(),
  PRODUCTS_FEED: z.string().min(1).optional(),
  STORES_FEED: z.string().min(1).optional(),
});

/** The feeds configured in the environment for `up` (without `--demo`). */
export function loadFeedsConfig(env: Env = process.env): {
  sales?: string;
  products?: string;
  stores?: string;
} {
  const config = parseConfig(feedsSchema, env);
  return { sales: config.SALES_FEED, products: config.PRODUCTS_FEED, stores: config.STORES_FEED };
}

/** The environment the workers started by `up` inherit (their own configs validate it). */
export function processEnv(): Env {
  return { ...process.env };
}

/** The stack's configuration, for a new stack secured when `secure` (`--secure`), else as the environment says. */
export function stackConfigFor(options: { secure?: boolean | undefined }): StackConfig {
  return loadStackConfig(options.secure ? { ...process.env, STACK_SECURE: '1' } : process.env);
}
