import type { Env } from '@sales-pipeline/platform';
import { isAlive, type StackConfig } from '@sales-pipeline/stack';
import { readDashboardRecord } from '@sales-pipeline/dashboard/dashboard-record';
import type pg from 'pg';
import { emptyDatabaseStatus, readDatabaseStatus, readSlot, type DatabaseStatus } from './database-status.ts';
import { pipelineHealthy, workerStatus } from './health-verdict.ts';
import { readConsumerLag } from './kafka-lag.ts';
import { lastLoggedError, readTail } from './log-tail.ts';
import { readPipelineState } from './pipeline-state.ts';
import { sampleUnreportedRates } from './sampled-rates.ts';
import { readConnector, readStackStatus } from './stack-status.ts';
import type { PipelineStatus } from './status-types.ts';
import { readWorkerHealth } from './worker-health.ts';

export type { PipelineStatus, WorkerStatus } from './status-types.ts';
// The pure readers `status` is made of, where its tests and other callers have always found them.
export { lastLoggedError } from './log-tail.ts';
export { sumCounter } from './prometheus-text.ts';
export { reportedRate, waitingFor } from './worker-health.ts';

/**
 * Everything `status` reports: the stack's components, each worker's health, rate and last error, the
 * connector, the replication slot's lag, the consumer groups' lag (offsets stored in PostgreSQL against
 * the topics' ends), totals (gross, returns, net), the last milestones and the held feeds. Each worker's rate is the one its /healthz reports;
 * only a worker that reports none (an older one) has its counter sampled twice, `sampleMs` apart.
 */
export async function collectStatus(
  config: StackConfig,
  env: Env,
  options: {
    sampleMs: number;
    /**
     * Read only the replication slot, through this pool (the dashboard's, every few seconds), instead of
     * the whole database part through a connection of its own: the totals, the last milestones, the
     * held feeds, the stored offsets and so the consumer groups' lag are then left empty.
     */
    slotThrough?: Pick<pg.Pool, 'query'>;
  },
): Promise<PipelineStatus> {
  const state = readPipelineState(config.home);
  const errors: string[] = [];
  const records = Object.values(state?.workers ?? {}).filter((r) => r !== undefined);
  // Everything that does not depend on the workers runs while they are asked: `status` answers in
  // about the time of its slowest read, not the sum of every round trip.
  const stackRead = readStackStatus(config, state);
  const connectorRead = stackRead.then((stack) =>
    stack.endpoints ? readConnector(stack.endpoints.connectUrl, errors) : null,
  );
  const databaseRead = options.slotThrough
    ? readSlotOnly(options.slotThrough, errors)
    : readDatabaseStatus(env, errors);
  const lagRead = Promise.all([stackRead, databaseRead]).then(([stack, database]) =>
    stack.endpoints && database.stored.length > 0
      ? readConsumerLag(stack.endpoints.kafkaBrokers, database.stored, errors)
      : [],
  );
  const health = await readWorkerHealth(records);
  const sampled = await sampleUnreportedRates(records, health, options.sampleMs);
  const [
    stack,
    connector,
    { replicationSlot, totals, lastMilestones, heldFeeds, backfills, verification, feeds },
    consumerLag,
  ] = await Promise.all([stackRead, connectorRead, databaseRead, lagRead]);

  const workers = records.map((r) =>
    workerStatus(r, health.get(r.name), sampled.get(r.name), lastLoggedError(readTail(r.logFile))),
  );
  const supervisor = state
    ? {
        pid: state.supervisorPid,
        alive: isAlive(state.supervisorPid),
        demo: state.demo,
        startedAt: state.startedAt,
      }
    : null;
  return {
    // A drift makes the pipeline unhealthy (status exits 1) until it is repaired.
    healthy:
      pipelineHealthy(stack, workers, connector, supervisor) && (verification?.drift.length ?? 0) === 0,
    checkedAt: new Date().toISOString(),
    mode: stack.mode,
    endpoints: stack.endpoints,
    components: stack.components,
    supervisor,
    workers,
    connector,
    replicationSlot,
    consumerLag,
    totals,
    lastMilestones,
    heldFeeds,
    backfills,
    verification,
    feeds,
    dashboard: ((d) => (d ? { url: d.url, pid: d.pid } : null))(readDashboardRecord(config.home)),
    ingest: state?.workers.ingest
      ? {
          url: `${env.INGEST_TLS_CERT_FILE ? 'https' : 'http'}://${env.INGEST_HOST ?? '127.0.0.1'}:${env.INGEST_PORT ?? '8091'}/v1/sales`,
          pid: state.workers.ingest.pid ?? null,
        }
      : null,
    errors,
  };
}

async function readSlotOnly(pool: Pick<pg.Pool, 'query'>, errors: string[]): Promise<DatabaseStatus> {
  const status = emptyDatabaseStatus();
  try {
    status.replicationSlot = await readSlot(pool);
  } catch (error) {
    errors.push(`database: ${(error as Error).message}`);
  }
  return status;
}
