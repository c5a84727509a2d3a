export { consume, worker, type ConsumeTotals } from './consume.ts';
export { loadConsumerConfig, type ConsumerConfig } from './config.ts';
export { completeAllPending } from './pg-writer.ts';
