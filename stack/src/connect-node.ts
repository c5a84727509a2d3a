import fs from 'node:fs';
import path from 'node:path';
import {
  connectAuthHeaders,
  StackError,
  type ConnectAuth,
  type ConnectorState,
} from '@sales-pipeline/platform';
import { registerConnector } from './connector.ts';
import { JavaNode, type JavaNodeOptions } from './java-node.ts';

/** Connect runs without the Debezium plugin. */
export class MissingPluginError extends StackError {}

/** The connector class Connect must list before the stack counts as up. */
export const DEBEZIUM_POSTGRES_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';

export interface ConnectNodeOptions extends JavaNodeOptions {
  brokers: string;
  /**
   * Variables the worker resolves in connector configs through its `env` config provider
   * (`${env:CDC_DATABASE_PASSWORD}`), so that no secret goes through the REST API or a topic.
   */
  connectorEnv: Record<string, string>;
  /** Environment the JVM inherits (PATH, HOME, …); the connector variables are added to it. */
  baseEnv: NodeJS.ProcessEnv;
  /** A secured broker: Connect logs in as the clients' SCRAM user, over TLS against the stack's CA. */
  kafkaClient?: { caFile: string; username: string; password: string } | undefined;
  /** A secured stack: the REST API takes only this user (HTTP basic auth); anyone else gets 401. */
  restAuth?: ConnectAuth | undefined;
  /** A secured database: the CA Debezium checks PostgreSQL's certificate against (sslmode=verify-full). */
  databaseCaFile?: string | undefined;
}

const BASIC_AUTH_EXTENSION =
  'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension';
const PROPERTY_FILE_LOGIN = 'org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule';

/** Connect's client settings for a SASL_SSL broker, for its own clients and its workers' producers, consumers and admins. */
function secureClientProperties(
  client: NonNullable<ConnectNodeOptions['kafkaClient']>,
): Record<string, string> {
  const settings = {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${client.username}" password="${client.password}";`,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': client.caFile,
  };
  return Object.fromEntries(
    ['', 'producer.', 'consumer.', 'admin.'].flatMap((prefix) =>
      Object.entries(settings).map(([key, value]) => [`${prefix}${key}`, value]),
    ),
  );
}

/** A Kafka Connect worker in distributed mode with the Debezium PostgreSQL plugin on its plugin path. */
export class ConnectNode extends JavaNode<ConnectNodeOptions> {
  constructor(options: ConnectNodeOptions) {
    super(options, 'connect', 'worker.properties');
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  /** The REST API's login (none on a plain stack). */
  get auth(): ConnectAuth | undefined {
    return this.options.restAuth;
  }

  /** The REST API's login, as headers (none on a plain stack). */
  authHeaders(): Record<string, string> {
    return connectAuthHeaders(this.options.restAuth);
  }

  /**
   * Basic auth on the REST API: Kafka's own REST extension, with a JAAS login module reading the users
   * from a properties file (0600). The JVM is told where the JAAS file is; no secret is on its command line.
   */
  private restAuthSetup(auth: ConnectAuth): { properties: Record<string, string>; jvmOptions: string[] } {
    const users = path.join(this.options.dir, 'rest-users.properties');
    const jaas = path.join(this.options.dir, 'rest-jaas.conf');
    fs.mkdirSync(this.options.dir, { recursive: true });
    fs.writeFileSync(users, `${auth.username}: ${auth.password}\n`, { mode: 0o600 });
    fs.writeFileSync(jaas, `KafkaConnect {\n  ${PROPERTY_FILE_LOGIN} required\n  file="${users}";\n};\n`, {
      mode: 0o600,
    });
    return {
      properties: { 'rest.extension.classes': BASIC_AUTH_EXTENSION },
      jvmOptions: [`-Djava.security.auth.login.config=${jaas}`],
    };
  }

  async start(): Promise<void> {
    if (this.pid() !== undefined) return;
    const restAuth = this.options.restAuth ? this.restAuthSetup(this.options.restAuth) : undefined;
    this.writeProperties({
      'bootstrap.servers': this.options.brokers,
      'group.id': 'sales-pipeline-connect',
      listeners: this.url,
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'config.storage.topic': '_connect-configs',
      'offset.storage.topic': '_connect-offsets',
      'status.storage.topic': '_connect-status',
      'config.storage.replication.factor': 1,
      'offset.storage.replication.factor': 1,
      'status.storage.replication.factor': 1,
      'offset.flush.interval.ms': 1000,
      'plugin.path': this.options.jars.pluginDir,
      'config.providers': 'env',
      'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
      ...(this.options.kafkaClient ? secureClientProperties(this.options.kafkaClient) : {}),
      ...restAuth?.properties,
    });
    // A secured stack's Connect properties hold the Kafka password.
    if (this.options.kafkaClient) fs.chmodSync(this.propertiesFile, 0o600);
    await this.launch('Kafka Connect', 'org.apache.kafka.connect.cli.ConnectDistributed', {
      env: { ...this.options.baseEnv, ...this.options.connectorEnv },
      isFatal: (error) => error instanceof MissingPluginError,
      jvmOptions: restAuth?.jvmOptions,
    });
  }

  /**
   * Registers (or updates) the Debezium connector on this worker and waits until it runs; on a secured
   * stack with its login, and its database connection over TLS (the server checked against the CA).
   */
  registerCdcConnector(timeoutMs: number): Promise<ConnectorState> {
    return registerConnector(this.url, { timeoutMs, auth: this.auth, settings: this.cdcSettings() });
  }

  /** The connector's settings beyond its shipped config: a secured database's TLS, checked against the CA. */
  cdcSettings(): Record<string, string> {
    const ca = this.options.databaseCaFile;
    return ca ? { 'database.sslmode': 'verify-full', 'database.sslrootcert': ca } : {};
  }

  /** `true` once the REST API answers and lists the Debezium PostgreSQL connector plugin. */
  async ping(): Promise<true | undefined> {
    const response = await fetch(`${this.url}/connector-plugins`, {
      headers: this.authHeaders(),
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) return undefined;
    const plugins = (await response.json()) as Array<{ class: string }>;
    if (plugins.some((plugin) => plugin.class === DEBEZIUM_POSTGRES_CLASS)) return true;
    // Plugins are scanned once, at start: a worker that answers without it will never have it.
    throw new MissingPluginError(
      `Kafka Connect is up but does not list ${DEBEZIUM_POSTGRES_CLASS} (plugin.path=${this.options.jars.pluginDir})`,
      {
        hint: 'Delete the jar cache folder (SALES_PIPELINE_CACHE) so that it is resolved again, then run `stack up`.',
      },
    );
  }
}
