import fs from 'node:fs';
import path from 'node:path';
import { StackError } from '@sales-pipeline/platform';
import type { JarCache } from './jar-cache.ts';
import { javaArgs, renderProperties } from './java-process.ts';
import type { Prerequisites } from './prerequisites.ts';
import { livePid, spawnDetached, stopProcess, waitFor } from './processes.ts';

/** Connect runs without the Debezium plugin. */
export class MissingPluginError extends StackError {}

/** The connector class Connect must list before the stack counts as up. */
export const DEBEZIUM_POSTGRES_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';

export interface ConnectNodeOptions {
  dir: string;
  port: number;
  brokers: string;
  heapMb: number;
  jars: JarCache;
  prerequisites: Prerequisites;
  startTimeoutMs: number;
  /**
   * Variables the worker resolves in connector configs through its `env` config provider
   * (`${env:CDC_DATABASE_PASSWORD}`), so that no secret goes through the REST API or a topic.
   */
  connectorEnv: Record<string, string>;
  /** Environment the JVM inherits (PATH, HOME, …); the connector variables are added to it. */
  baseEnv: NodeJS.ProcessEnv;
}

/** A Kafka Connect worker in distributed mode with the Debezium PostgreSQL plugin on its plugin path. */
export class ConnectNode {
  readonly logFile: string;
  readonly pidFile: string;
  readonly propertiesFile: string;

  constructor(private readonly options: ConnectNodeOptions) {
    this.logFile = path.join(options.dir, 'connect.log');
    this.pidFile = path.join(options.dir, 'connect.pid');
    this.propertiesFile = path.join(options.dir, 'worker.properties');
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  pid(): number | undefined {
    return livePid(this.pidFile);
  }

  private writeProperties(): void {
    fs.mkdirSync(this.options.dir, { recursive: true });
    fs.writeFileSync(
      this.propertiesFile,
      renderProperties({
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
      }),
    );
  }

  async start(): Promise<void> {
    if (this.pid() !== undefined) return;
    this.writeProperties();
    spawnDetached(
      this.options.prerequisites.java,
      javaArgs(this.options.jars, this.options.heapMb, 'org.apache.kafka.connect.cli.ConnectDistributed', [
        this.propertiesFile,
      ]),
      {
        logFile: this.logFile,
        pidFile: this.pidFile,
        env: { ...this.options.baseEnv, ...this.options.connectorEnv },
      },
    );
    await waitFor('Kafka Connect', () => this.ping(), {
      timeoutMs: this.options.startTimeoutMs,
      intervalMs: 500,
      hint: `See ${this.logFile}.`,
      stillRunning: () => this.pid() !== undefined,
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

  async stop(timeoutMs: number): Promise<void> {
    const pid = this.pid();
    if (pid !== undefined) await stopProcess(pid, timeoutMs);
    fs.rmSync(this.pidFile, { force: true });
  }
}
