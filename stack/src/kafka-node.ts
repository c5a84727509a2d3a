import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { JavaNode, type JavaNodeOptions } from './java-node.ts';
import { javaArgs } from './java-process.ts';
import { runCommand } from './processes.ts';
import type { TlsMaterial } from './tls-material.ts';

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64, like Kafka's own `Uuid.randomUuid()`,
 * which also refuses ids starting with '-' because the storage tool's argument parser reads such
 * an id as an option (`argument --cluster-id/-t: expected one argument`).
 */
export function newClusterId(random: (size: number) => Buffer = crypto.randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface KafkaNodeOptions extends JavaNodeOptions {
  controllerPort: number;
  /**
   * A secured broker: the client listener is SASL_SSL, SCRAM-SHA-512 only, with the stack's certificate;
   * the users are made when the storage is formatted (the broker's `admin`, the clients' `sales`).
   */
  secure?: { material: TlsMaterial; adminPassword: string; clientPassword: string } | undefined;
}

/** The SCRAM user the clients of a secured stack log in as. */
export const KAFKA_CLIENT_USER = 'sales';

/** The kafkajs settings of a client of this broker: TLS against the stack's CA and SCRAM, when secured. */
export function stackKafkaSecurity(secure: KafkaNodeOptions['secure']): {
  ssl?: { ca: string; rejectUnauthorized: true };
  sasl?: { mechanism: 'scram-sha-512'; username: string; password: string };
} {
  if (!secure) return {};
  return {
    ssl: { ca: fs.readFileSync(secure.material.caFile, 'utf8'), rejectUnauthorized: true },
    sasl: { mechanism: 'scram-sha-512', username: KAFKA_CLIENT_USER, password: secure.clientPassword },
  };
}

/** A single-node Apache Kafka broker in KRaft mode (broker and controller in one JVM), on loopback. */
export class KafkaNode extends JavaNode<KafkaNodeOptions> {
  readonly dataDir: string;

  constructor(options: KafkaNodeOptions) {
    super(options, 'kafka', 'server.properties');
    this.dataDir = path.join(options.dir, 'data');
  }

  get brokers(): string {
    return `127.0.0.1:${this.options.port}`;
  }

  /** The kafkajs settings of a client of this broker (none for a plain one). */
  clientSecurity(): ReturnType<typeof stackKafkaSecurity> {
    return stackKafkaSecurity(this.options.secure);
  }

  /** The listener of the clients: PLAINTEXT, or SASL_SSL with SCRAM-SHA-512 only on a secured stack. */
  private listenerProperties(): Record<string, string> {
    const { port, controllerPort, secure } = this.options;
    if (!secure)
      return {
        listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      };
    return {
      listeners: `SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `SASL_SSL://127.0.0.1:${port}`,
      'inter.broker.listener.name': 'SASL_SSL',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${secure.adminPassword}";`,
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': secure.material.serverBundleFile,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': secure.material.caFile,
    };
  }

  private writeServerProperties(): void {
    const { controllerPort } = this.options;
    this.writeProperties({
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
      ...this.listenerProperties(),
      'controller.listener.names': 'CONTROLLER',
      'log.dirs': this.dataDir,
      'num.partitions': 1,
      'auto.create.topics.enable': 'false',
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 10,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'transaction.state.log.num.partitions': 10,
      'share.coordinator.state.topic.replication.factor': 1,
      'share.coordinator.state.topic.min.isr': 1,
      'group.initial.rebalance.delay.ms': 0,
      // Thread pools for one broker on two cores (the defaults, 3 network and 8 I/O threads and 10
      // background threads, are for servers), and the controller's no-op metadata records every 5 s
      // instead of every 500 ms: they are what keeps an idle KRaft node busy.
      'num.network.threads': 2,
      'num.io.threads': 2,
      'background.threads': 4,
      'num.recovery.threads.per.data.dir': 1,
      'metadata.max.idle.interval.ms': 5000,
      // The producer keeps its checkpoints as offsets of empty groups: do not expire them after 7 days.
      'offsets.retention.minutes': 5_256_000,
    });
  }

  /**
   * Formats the KRaft storage once; later starts reuse the log directory. A secured broker's SCRAM users
   * are made here: the arguments go through a java argument file (0600, removed after), never the command
   * line that `ps` shows.
   */
  private async format(): Promise<void> {
    if (fs.existsSync(path.join(this.dataDir, 'meta.properties'))) return;
    const clusterId = newClusterId();
    const { secure } = this.options;
    const users = secure
      ? [
          '--add-scram',
          `SCRAM-SHA-512=[name=admin,password=${secure.adminPassword}]`,
          '--add-scram',
          `SCRAM-SHA-512=[name=${KAFKA_CLIENT_USER},password=${secure.clientPassword}]`,
        ]
      : [];
    const args = javaArgs(
      this.options.jars,
      256,
      'kafka.tools.StorageTool',
      ['format', `--cluster-id=${clusterId}`, '-c', this.propertiesFile, ...users],
      'warn',
    );
    const argFile = path.join(this.options.dir, 'format.args');
    fs.writeFileSync(
      argFile,
      args.map((a) => `"${a.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('\n'),
      {
        mode: 0o600,
      },
    );
    try {
      await runCommand(this.options.prerequisites.java, [`@${argFile}`]);
    } finally {
      fs.rmSync(argFile, { force: true });
    }
  }

  async start(): Promise<void> {
    if (this.pid() !== undefined) return;
    this.writeServerProperties();
    // A secured broker's properties hold its own SCRAM password.
    if (this.options.secure) fs.chmodSync(this.propertiesFile, 0o600);
    await this.format();
    await this.launch('Kafka broker', 'kafka.Kafka');
    await this.warmTransactionCoordinator();
  }

  /**
   * Creates the transaction state topic now (a broker makes it on the first transactional producer), so
   * the workers' first transactions do not meet a loading coordinator.
   */
  private async warmTransactionCoordinator(): Promise<void> {
    const kafka = new Kafka({
      ...stackKafkaSecurity(this.options.secure),
      clientId: 'stack-warmup',
      brokers: [this.brokers],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({
      transactionalId: 'stack-warmup',
      idempotent: true,
      maxInFlightRequests: 1,
    });
    try {
      await producer.connect();
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  /**
   * `true` once the broker serves metadata and its group coordinator answers: a consumer or a
   * transactional producer started right after `up` then works at once.
   */
  async ping(): Promise<true | undefined> {
    const kafka = new Kafka({
      ...stackKafkaSecurity(this.options.secure),
      clientId: 'stack-health',
      brokers: [this.brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) return undefined;
      await admin.fetchOffsets({ groupId: 'stack-health' });
      return true;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
