import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ensureTopics, pipelineTopicSpecs } from '@sales-pipeline/platform';

/** The pipeline's four topic names. */
export type TopicNames = Parameters<typeof pipelineTopicSpecs>[0];

/** A kafkajs client for tests and benchmarks: `brokers` comma-separated, kafkajs's own logging off. */
export function testKafka(brokers: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** Runs `use` with a connected admin client, disconnected afterwards whatever happens. */
export async function withAdmin<T>(kafka: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the pipeline's topics (3 sales partitions) as the producer would, if they are not there yet. */
export function createPipelineTopics(kafka: Kafka, topics: TopicNames): Promise<void> {
  return withAdmin(kafka, (admin) => ensureTopics(admin, pipelineTopicSpecs(topics, 3)));
}
