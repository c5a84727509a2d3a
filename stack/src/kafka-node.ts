import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { JavaNode, type JavaNodeOptions } from './java-node.ts';
import { javaArgs } from './java-process.ts';
import { runCommand } from './processes.ts';

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

  private writeServerProperties(): void {
    const { port, controllerPort } = this.options;
    this.writeProperties({
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
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

  /** Formats the KRaft storage once; later starts reuse the log directory. */
  private async format(): Promise<void> {
    if (fs.existsSync(path.join(this.dataDir, 'meta.properties'))) return;
    const clusterId = newClusterId();
    await runCommand(
      this.options.prerequisites.java,
      javaArgs(
        this.options.jars,
        256,
        'kafka.tools.StorageTool',
        ['format', `--cluster-id=${clusterId}`, '-c', this.propertiesFile],
        'warn',
      ),
    );
  }

  async start(): Promise<void> {
    if (this.pid() !== undefined) return;
    this.writeServerProperties();
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
