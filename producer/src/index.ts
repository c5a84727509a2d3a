export { produce, type ProduceOptions, type FeedResult } from './produce.ts';
export { defaultFeedId, parseLocation } from './feed/feed-identity.ts';
export type { PublishedStep } from './publish/paced-publisher.ts';
export { clock } from './feed/progress.ts';
export { PRODUCER_LINGER_DEFAULT_MS, loadProducerConfig, type ProducerConfig } from './config.ts';
export { readReferenceFile } from './feed/reference-file.ts';
export { SaleSimulator, rhythm, seededRandom } from './sale-simulator.ts';
export { acceptGroup } from './publish/kafka-publisher.ts';
export { ingest, loadIngestConfig, worker as ingestWorker, type IngestConfig } from './ingest.ts';
