export { PipelineError, ConfigError, MissingPrerequisiteError, StackError, describeError } from './errors.ts';
export { createLogger, type Logger } from './logger.ts';
export { redactUrl } from './redact.ts';
export {
  type Env,
  parseConfig,
  logLevelSchema,
  logFormatSchema,
  logFormatFromEnv,
  type LogFormat,
  databaseUrlSchema,
  kafkaBrokersSchema,
  httpUrlSchema,
  positiveIntSchema,
  metricsEnvShape,
} from './config.ts';
export {
  DEFAULT_TOPICS,
  LINE_SEEN_AT_HEADER,
  type SaleMessage,
  type ProductMessage,
  type StoreMessage,
  type DeadLetter,
  type SaleCancellation,
  type FeedHoldNotice,
  type FeedVersionNotice,
} from './messages.ts';
export { createKafka } from './kafka.ts';
export {
  kafkaSecurity,
  kafkaAccessError,
  errorChain,
  secretFromEnv,
  KAFKA_SECURITY_VARIABLES,
  type KafkaSecurity,
} from './kafka-security.ts';
export { databaseAccessError, databaseEndpoint } from './database-access-error.ts';
export { connectAuth, connectAuthHeaders, type ConnectAuth } from './connect-auth.ts';
export {
  ConnectAuthError,
  connectRefused,
  readConnectorState,
  type ConnectorState,
} from './connector-status.ts';
export {
  createRegistry,
  startMetricsServer,
  CounterRate,
  type MetricsServer,
  type RateCounter,
} from './metrics-server.ts';
export {
  createPool,
  withClient,
  withTransaction,
  isRetriableDbError,
  type Pool,
  type PoolClient,
} from './db.ts';
export { retry, RETRY_POLICIES, type RetryPolicy } from './retry.ts';
export { cityKey, UNKNOWN_REGION } from './city-key.ts';
export { toCents, fromCents } from './money.ts';
export {
  createMissingChangeTopics,
  ensureTopics,
  pipelineTopicSpecs,
  waitForTopics,
  type TopicSpec,
} from './kafka-topics.ts';
export { lockOffset, storeOffset, storedOffsets } from './pg-offsets.ts';
export { PendingOffsets, type PartitionOffset } from './pending-offsets.ts';
export { runPartitionWorker, type PartitionWorkerOptions } from './partition-worker.ts';
export { applyExactlyOnce, type ExactlyOnceOutcome } from './apply-exactly-once.ts';
export { Wakeup } from './wakeup.ts';
export { chunkRuns, decodeChunkEvent, type ChunkEvent } from './chunk-event.ts';
export { readStateFile, StateFileError } from './state-file.ts';
export {
  counter,
  gauge,
  histogram,
  metricSet,
  type MetricSpec,
  type MetricDefinition,
  type MetricsOf,
} from './metric-set.ts';
export {
  workerSchema,
  databaseWorkerSchema,
  cdcWorkerSchema,
  pipelineTopicsEnvShape,
  pipelineTopics,
  sessionTimeoutMsSchema,
} from './worker-env.ts';
export { stopOnSignals } from './stop-on-signals.ts';
export { runWorker, type WorkerConfigBase, type WorkerEntry } from './run-worker.ts';
export { withWorkerClients, type WorkerClients, type WorkerClientsConfig } from './worker-clients.ts';
export {
  milestoneSentence,
  euros,
  type Milestone,
  type MilestoneContext,
  type Language,
} from './milestone-sentence.ts';
export { PeriodicTask } from './periodic-task.ts';
