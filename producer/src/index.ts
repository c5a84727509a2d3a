export { produce, type ProduceOptions, type FeedResult } from './produce.ts';
export { loadProducerConfig, type ProducerConfig } from './config.ts';
