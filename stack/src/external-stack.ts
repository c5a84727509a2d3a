import { connectAuth, ConfigError, kafkaSecurity, type Env, type Logger } from '@sales-pipeline/platform';
import { registerConnector } from './connector.ts';
import type { RunningStack, StackEndpoints } from './types.ts';

/** A database URL without its password (what `status` shows and checks): of its query, only `sslmode`. */
function withoutSecrets(url: string): string {
  const parsed = new URL(url);
  const sslmode = parsed.searchParams.get('sslmode');
  parsed.password = '';
  parsed.search = sslmode ? `?sslmode=${encodeURIComponent(sslmode)}` : '';
  return parsed.toString();
}

/**
 * An existing cluster, database and Connect deployment, known only by the environment (`up --external`):
 * KAFKA_BROKERS, DATABASE_URL and DATABASE_READER_URL are required, CONNECT_URL (or KAFKA_CONNECT_URL)
 * optional; the Kafka security variables and Connect's login are validated before anything runs. Nothing is
 * started or stopped here: with CONNECT_URL, the connector is registered (idempotent) with
 * CDC_DATABASE_SSLMODE / CDC_DATABASE_SSLROOTCERT.
 */
export async function externalStack(
  env: Env,
  logger: Logger,
  timeoutMs: number,
  /** Register the connector (`up`); the detached supervisor only needs the endpoints. */
  register = true,
): Promise<RunningStack> {
  const problems = ['KAFKA_BROKERS', 'DATABASE_URL', 'DATABASE_READER_URL']
    .filter((name) => !env[name])
    .map(
      (name) =>
        `${name}: is required with --external (the workers run against the endpoints in the environment)`,
    );
  if (problems.length > 0) throw new ConfigError(problems);
  kafkaSecurity(env);
  const auth = connectAuth(env);
  const connectUrl = env.CONNECT_URL || env.KAFKA_CONNECT_URL || '';
  const endpoints: StackEndpoints = {
    databaseUrl: withoutSecrets(env.DATABASE_URL as string),
    kafkaBrokers: env.KAFKA_BROKERS as string,
    connectUrl,
  };
  const log = logger.child({ module: 'external-stack' });
  if (connectUrl && register) {
    const settings = {
      ...(env.CDC_DATABASE_SSLMODE ? { 'database.sslmode': env.CDC_DATABASE_SSLMODE } : {}),
      ...(env.CDC_DATABASE_SSLROOTCERT ? { 'database.sslrootcert': env.CDC_DATABASE_SSLROOTCERT } : {}),
    };
    await registerConnector(connectUrl, { timeoutMs, auth, settings });
    log.info({ url: connectUrl }, 'debezium connector running');
  } else if (!connectUrl)
    log.warn(
      'no CONNECT_URL: the Debezium connector is not registered here (analytics reads its change topics)',
    );
  return {
    mode: 'external',
    endpoints,
    secrets: {
      databaseUrl: env.DATABASE_URL as string,
      readerDatabaseUrl: env.DATABASE_READER_URL as string,
      adminDatabaseUrl: env.DATABASE_ADMIN_URL ?? '',
    },
    down: async () => undefined,
    stopStarted: async () => undefined,
  };
}
