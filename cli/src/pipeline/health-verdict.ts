import type { StackStatus } from '@sales-pipeline/stack';
import type { WorkerRecord } from './pipeline-state.ts';
import type { PipelineStatus, WorkerStatus } from './status-types.ts';
import type { WorkerHealth } from './worker-health.ts';
import { waitingFor } from './worker-health.ts';

/**
 * One worker's line of `status`: healthy when its /healthz answered 200 (alive, for a worker without
 * one), its rate as it reports it (else as sampled, else null), rounded to a tenth. Pure.
 */
export function workerStatus(
  record: WorkerRecord,
  health: WorkerHealth | undefined,
  sampledRate: number | null | undefined,
  lastError: WorkerStatus['lastError'],
): WorkerStatus {
  const { alive, answer, rate } = health ?? { alive: false, answer: undefined, rate: undefined };
  const healthy = record.metricsPort ? answer?.status === 200 : alive;
  const perSecond = rate !== undefined ? rate : (sampledRate ?? null);
  return {
    name: record.name,
    pid: alive ? (record.pid ?? null) : null,
    alive,
    healthy,
    metricsUrl: record.metricsPort ? `http://127.0.0.1:${record.metricsPort}/metrics` : null,
    restarts: record.restarts,
    failed: record.failed ?? null,
    ratePerSecond: perSecond === null ? null : Math.round(perSecond * 10) / 10,
    lastError,
    logFile: record.logFile,
    ...waitingFor(answer?.text),
  };
}

/**
 * The pipeline is healthy when the stack is, no worker is unhealthy or given up on, the connector (if
 * known) and its tasks are RUNNING and the supervisor (if any) is alive. Pure.
 */
export function pipelineHealthy(
  stack: Pick<StackStatus, 'healthy'>,
  workers: readonly WorkerStatus[],
  connector: PipelineStatus['connector'],
  supervisor: PipelineStatus['supervisor'],
): boolean {
  return (
    stack.healthy &&
    workers.every((w) => w.healthy !== false && w.failed === null) &&
    (connector === null ||
      (connector.state === 'RUNNING' && connector.tasks.every((task) => task.state === 'RUNNING'))) &&
    (supervisor === null || supervisor.alive)
  );
}
