import crypto from 'node:crypto';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { GenericContainer, Network, Wait, getContainerRuntimeClient } from 'testcontainers';
import type { Logger } from '@sales-pipeline/platform';
import { ensureChangeTopics } from './change-topics.ts';
import { registerConnector } from './connector.ts';
import { freePort } from './free-port.ts';
import { IMAGES } from './images.ts';
import { runMigrations, setRolePasswords } from './migrate.ts';
import { DATABASE_NAME, postgresUrl, roleUrls } from './postgres-node.ts';
import type { RunningStack } from './types.ts';

/** Whether a container engine answers. Without one, testcontainers fails at once, so this is cheap. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/**
 * The same stack as containers: Redpanda (Kafka API), PostgreSQL with logical WAL and Debezium Connect,
 * on a private network. The containers live as long as this process (testcontainers' reaper removes
 * them when it exits); for a long-lived Docker stack use docker-compose.yml.
 */
export async function dockerUp(logger: Logger, startTimeoutMs: number): Promise<RunningStack> {
  const log = logger.child({ module: 'docker-stack' });
  const secret = () => crypto.randomBytes(24).toString('base64url');
  const credentials = { admin: secret(), app: secret(), reader: secret(), cdc: secret() };
  const network = await new Network().start();

  const postgres = await new PostgreSqlContainer(IMAGES.postgres)
    .withNetwork(network)
    .withNetworkAliases('postgres')
    .withDatabase(DATABASE_NAME)
    .withUsername('postgres')
    .withPassword(credentials.admin)
    .withCommand([
      'postgres',
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=10',
      '-c',
      'max_wal_senders=10',
    ])
    .start();
  const pgHost = postgres.getHost();
  const pgPort = postgres.getPort();
  const admin = {
    host: pgHost,
    port: pgPort,
    user: 'postgres',
    password: credentials.admin,
    database: DATABASE_NAME,
  };
  await runMigrations(admin, logger);
  await setRolePasswords(admin, credentials);
  log.info({ port: pgPort }, 'postgres container ready');

  // Redpanda advertises the host port to clients outside the network: pick it before starting.
  const kafkaHostPort = await freePort();
  const redpanda = await new GenericContainer(IMAGES.redpanda)
    .withNetwork(network)
    .withNetworkAliases('redpanda')
    .withExposedPorts({ container: 19092, host: kafkaHostPort })
    .withCommand([
      'redpanda',
      'start',
      '--mode',
      'dev-container',
      '--smp',
      '1',
      '--overprovisioned',
      '--kafka-addr',
      'internal://0.0.0.0:9092,external://0.0.0.0:19092',
      '--advertise-kafka-addr',
      `internal://redpanda:9092,external://127.0.0.1:${kafkaHostPort}`,
    ])
    .withWaitStrategy(Wait.forLogMessage(/Successfully started Redpanda/))
    .withStartupTimeout(startTimeoutMs)
    .start();
  log.info({ port: kafkaHostPort }, 'redpanda container ready');
  await ensureChangeTopics(`127.0.0.1:${kafkaHostPort}`);

  const connect = await new GenericContainer(IMAGES.debeziumConnect)
    .withNetwork(network)
    .withExposedPorts(8083)
    .withEnvironment({
      BOOTSTRAP_SERVERS: 'redpanda:9092',
      GROUP_ID: 'sales-pipeline-connect',
      CONFIG_STORAGE_TOPIC: '_connect-configs',
      OFFSET_STORAGE_TOPIC: '_connect-offsets',
      STATUS_STORAGE_TOPIC: '_connect-status',
      CONNECT_CONFIG_PROVIDERS: 'env',
      CONNECT_CONFIG_PROVIDERS_ENV_CLASS: 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
      CDC_DATABASE_HOST: 'postgres',
      CDC_DATABASE_PORT: '5432',
      CDC_DATABASE_NAME: DATABASE_NAME,
      CDC_DATABASE_PASSWORD: credentials.cdc,
    })
    .withWaitStrategy(Wait.forHttp('/connector-plugins', 8083))
    .withStartupTimeout(startTimeoutMs)
    .start();
  const connectUrl = `http://${connect.getHost()}:${connect.getMappedPort(8083)}`;
  await registerConnector(connectUrl, { timeoutMs: startTimeoutMs });
  log.info({ url: connectUrl }, 'debezium connect ready');

  async function down() {
    await connect.stop();
    await redpanda.stop();
    await postgres.stop();
    await network.stop();
  }
  return {
    mode: 'docker',
    endpoints: {
      databaseUrl: postgresUrl(pgHost, pgPort, 'sales_app'),
      kafkaBrokers: `127.0.0.1:${kafkaHostPort}`,
      connectUrl,
    },
    secrets: roleUrls(pgHost, pgPort, credentials),
    down,
    // Every container was started by this call.
    stopStarted: down,
  };
}
