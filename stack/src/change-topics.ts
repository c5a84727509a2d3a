import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { readConnectorConfig } from './connector.ts';

/** The change topics of the connector and the settings Kafka Connect would create them with. */
export interface ChangeTopicPlan {
  topics: string[];
  /** -1: the broker's `num.partitions`. */
  numPartitions: number;
  /** -1: the broker's `default.replication.factor`. */
  replicationFactor: number;
  configEntries: Array<{ name: string; value: string }>;
}

const GROUP = 'topic.creation.default.';

/**
 * The topics Debezium's PostgreSQL connector writes the captured tables to (`<topic.prefix>.<schema>.<table>`
 * for each table of `table.include.list`), with the settings of the connector's default topic-creation group,
 * which is what Kafka Connect creates them with on a table's first change: `partitions` and
 * `replication.factor` (-1 meaning the broker's defaults) and every other `topic.creation.default.<property>`
 * as a topic config. Pure.
 */
export function changeTopicPlan(config: Record<string, string> = readConnectorConfig()): ChangeTopicPlan {
  const prefix = config['topic.prefix'];
  const tables = (config['table.include.list'] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (!prefix || tables.length === 0 || tables.some((t) => !/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(t)))
    throw new Error('the connector config needs topic.prefix and a table.include.list of plain schema.table');
  const configEntries = Object.entries(config)
    .filter(
      ([key]) => key.startsWith(GROUP) && ![`${GROUP}partitions`, `${GROUP}replication.factor`].includes(key),
    )
    .map(([key, value]) => ({ name: key.slice(GROUP.length), value }));
  return {
    topics: tables.map((table) => `${prefix}.${table}`),
    numPartitions: Number(config[`${GROUP}partitions`] ?? -1),
    replicationFactor: Number(config[`${GROUP}replication.factor`] ?? -1),
    configEntries,
  };
}

/**
 * Creates the change topics that do not exist yet, as Kafka Connect would on each table's first change:
 * a consumer of the change stream (analytics) then finds its topics on a database that has not changed
 * yet. Returns the topics it created.
 */
export async function ensureChangeTopics(
  brokers: string,
  plan = changeTopicPlan(),
  security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {},
): Promise<string[]> {
  const kafka = new Kafka({
    ...security,
    clientId: 'stack-change-topics',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = plan.topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: plan.numPartitions,
        replicationFactor: plan.replicationFactor,
        configEntries: plan.configEntries,
      })),
    });
    return missing;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
