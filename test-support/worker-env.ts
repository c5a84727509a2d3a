import { inject } from 'vitest';

/** Topics of their own for one test, so tests never see each other's messages. */
export function isolatedTopics(name: string) {
  const suffix = `${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  return {
    sales: `t.sales.${suffix}`,
    products: `t.products.${suffix}`,
    stores: `t.stores.${suffix}`,
    deadLetter: `t.dlq.${suffix}`,
  };
}

export type Topics = ReturnType<typeof isolatedTopics>;

/** The environment of a producer on the test stack, on `topics`, with short poll intervals. */
export function producerEnv(topics: Topics, extra: Record<string, string> = {}) {
  const { endpoints } = inject('stack');
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KAFKA_BROKERS: endpoints.kafkaBrokers,
    LOG_LEVEL: 'warn',
    SALES_TOPIC: topics.sales,
    PRODUCTS_TOPIC: topics.products,
    STORES_TOPIC: topics.stores,
    DEADLETTER_TOPIC: topics.deadLetter,
    FILE_POLL_INTERVAL_MS: '50',
    LAST_LINE_IDLE_MS: '500',
    ROTATION_SETTLE_MS: '200',
    URL_POLL_INTERVAL_MS: '200',
    ...extra,
  };
}

/** The environment of any worker on the test stack (its broker and database), plus `extra`. */
export function stackWorkerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { endpoints, secrets } = inject('stack');
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KAFKA_BROKERS: endpoints.kafkaBrokers,
    DATABASE_URL: secrets.databaseUrl,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** The environment of a consumer on the test stack, on `topics`, in a consumer group of their own. */
export function consumerEnv(topics: Topics, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return stackWorkerEnv({
    SALES_TOPIC: topics.sales,
    PRODUCTS_TOPIC: topics.products,
    STORES_TOPIC: topics.stores,
    DEADLETTER_TOPIC: topics.deadLetter,
    CONSUMER_GROUP: `g.${topics.sales}`,
    CONSUMER_SESSION_TIMEOUT_MS: '6000',
    ...extra,
  });
}
