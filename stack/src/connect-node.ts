import fs from 'node:fs';
import { StackError } from '@sales-pipeline/platform';
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
}

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

  async start(): Promise<void> {
    if (this.pid() !== undefined) return;
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
    });
    // A secured stack's Connect properties hold the Kafka password.
    if (this.options.kafkaClient) fs.chmodSync(this.propertiesFile, 0o600);
    await this.launch('Kafka Connect', 'org.apache.kafka.connect.cli.ConnectDistributed', {
      env: { ...this.options.baseEnv, ...this.options.connectorEnv },
      isFatal: (error) => error instanceof MissingPluginError,
    });
  }

  /** `true` once the REST API answers and lists the Debezium PostgreSQL connector plugin. */
  async ping(): Promise<true | undefined> {
    const response = await fetch(`${this.url}/connector-plugins`, { signal: AbortSignal.timeout(2000) });
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
