export { loadStackConfig, REPO_ROOT, type StackConfig } from './config.ts';
export { checkPrerequisites, findExecutable, type Prerequisites } from './prerequisites.ts';
export { startStack } from './launcher.ts';
export { externalStack } from './external-stack.ts';
export { ensureJars, type JarCache } from './jar-cache.ts';
export { nativeDown } from './native-stack.ts';
export { nativeStatus } from './native-status.ts';
export { nativeRestart } from './native-restart.ts';
export {
  nativeSecrets,
  nativeClientEnv,
  nativeConnect,
  nativeComponentPid,
  NATIVE_COMPONENTS,
  type NativeComponent,
} from './native-nodes.ts';
export { freePort } from './free-port.ts';
export { endpointStatus, postgresAnswers } from './endpoint-status.ts';
export { changeTopicPlan, ensureChangeTopics, type ChangeTopicPlan } from './change-topics.ts';
export { isAlive, waitFor, waitUntilGone } from './processes.ts';
export {
  CLI_BIN,
  childExited,
  isRunning,
  keepOutput,
  spawnWorker,
  stopChild,
  type WorkerSpawnOptions,
} from './worker-process.ts';
export {
  runMigrations,
  checkDatabase,
  setRolePasswords,
  MIGRATIONS_DIR,
  type RolePasswords,
} from './migrate.ts';
export { DatabaseNotReadyError, readinessChecklist, type ReadinessItem } from './database-readiness.ts';
export {
  registerConnector,
  connectorState,
  readConnectorConfig,
  CDC_CONNECTOR_NAME,
  CDC_TOPIC_PREFIX,
  CDC_SLOT_NAME,
} from './connector.ts';
export { ConnectAuthError, type ConnectorState } from '@sales-pipeline/platform';
export { IMAGES } from './images.ts';
export type { StackEndpoints, StackStatus, ComponentHealth, RunningStack } from './types.ts';
export {
  INGEST_DOWNSTREAM_NICE,
  downstreamNiceSchema,
  lowerNativeStackPriority,
  lowerPriority,
  resolveDownstreamNice,
  workerNice,
} from './priority.ts';
