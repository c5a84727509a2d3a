import { z } from 'zod';
import { databaseUrlSchema, logLevelSchema, parseConfig, type Env } from '@sales-pipeline/platform';
import { loadStackConfig, nativeSecrets, nativeStatus } from '@sales-pipeline/stack';

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
  return {
    KAFKA_BROKERS: status.endpoints.kafkaBrokers,
    KAFKA_CONNECT_URL: status.endpoints.connectUrl,
    DATABASE_URL: secrets?.databaseUrl,
    DATABASE_READER_URL: secrets?.readerDatabaseUrl,
    ...env,
  };
}
