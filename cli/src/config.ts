import { z } from 'zod';
import {
  ConfigError,
  connectAuth,
  databaseUrlSchema,
  httpUrlSchema,
  logLevelSchema,
  parseConfig,
  secretFromEnv,
  type ConnectAuth,
  type Env,
} from '@sales-pipeline/platform';
import {
  loadStackConfig,
  type StackConfig,
  nativeSecrets,
  nativeClientEnv,
  nativeStatus,
  downstreamNiceSchema,
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
  /**
   * DOWNSTREAM_NICE: under `up`, the niceness of the stages after Kafka (consumer, analytics, notifier, and a
   * native stack's Connect and PostgreSQL), 0–19. Unset: 10 while the HTTP ingest server runs, else 0.
   */
  DOWNSTREAM_NICE: downstreamNiceSchema,
});

export type CliConfig = z.infer<typeof schema>;

/** The command's configuration, validated once. Each role's password may come from `<NAME>_FILE` too. */
export function loadCliConfig(env: Env = process.env): CliConfig {
  const problems: string[] = [];
  const passwords = Object.fromEntries(
    ['SALES_APP_PASSWORD', 'SALES_READER_PASSWORD', 'SALES_CDC_PASSWORD'].map((name) => [
      name,
      secretFromEnv(env, name, problems),
    ]),
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return parseConfig(schema, { ...env, ...passwords });
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
  const kafkaClient = nativeClientEnv(config);
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

const connectorSchema = z.object({
  /** CONNECT_URL (or KAFKA_CONNECT_URL): the Kafka Connect REST API the connector is registered on. */
  CONNECT_URL: httpUrlSchema.optional(),
  KAFKA_CONNECT_URL: httpUrlSchema.optional(),
  /**
   * CDC_DATABASE_SSLMODE / CDC_DATABASE_SSLROOTCERT: Debezium's `database.sslmode` and `database.sslrootcert`
   * (a path on the Connect workers). The host, port, database and password are read by the workers
   * themselves from their own environment (`${env:CDC_DATABASE_…}`): never through the REST API.
   */
  CDC_DATABASE_SSLMODE: z
    .enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'])
    .optional(),
  CDC_DATABASE_SSLROOTCERT: z.string().min(1).optional(),
});

/** Where and how `connector register` registers the Debezium connector: an existing Connect cluster's. */
export function loadConnectorConfig(env: Env = process.env): {
  url: string | undefined;
  auth: ConnectAuth | undefined;
  settings: Record<string, string>;
} {
  const config = parseConfig(connectorSchema, env);
  return {
    url: config.CONNECT_URL ?? config.KAFKA_CONNECT_URL,
    auth: connectAuth(env),
    settings: {
      ...(config.CDC_DATABASE_SSLMODE ? { 'database.sslmode': config.CDC_DATABASE_SSLMODE } : {}),
      ...(config.CDC_DATABASE_SSLROOTCERT ? { 'database.sslrootcert': config.CDC_DATABASE_SSLROOTCERT } : {}),
    },
  };
}
