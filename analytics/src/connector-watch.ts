import { Counter, type Registry } from 'prom-client';
import {
  connectAuthHeaders,
  describeError,
  PeriodicTask,
  readConnectorState,
  type ConnectAuth,
  type ConnectorState,
  type Logger,
} from '@sales-pipeline/platform';

/** The connector and its tasks as Connect's `GET /connectors/<name>/status` gives them (platform's read). */
export type ConnectorStatus = Omit<ConnectorState, 'name'>;

/**
 * What the watch does about one status read. `settled`: the connector and every task have been RUNNING
 * for as long as the last back-off since the last restart, so a new failure starts again from a short wait.
 */
export type WatchAction =
  | { type: 'none'; settled: boolean }
  | { type: 'restart'; trace: string }
  | { type: 'wait'; trace: string; untilMs: number };

/** The wait before the next restart after `failures` restarts in a row. */
const backoffMs = (failures: number, options: { intervalMs: number; maxBackoffMs: number }) =>
  Math.min(options.maxBackoffMs, options.intervalMs * 2 ** Math.max(0, failures - 1));

/**
 * A FAILED connector or task is restarted, but not more often than the back-off allows: `failures` in a
 * row double the wait from `intervalMs` up to `maxBackoffMs`, so a task that fails again (a database that
 * stays away) costs one restart every few minutes, not a loop. The count starts again only once the
 * connector has stayed RUNNING for the current wait: a task seen RESTARTING, or running a moment before it
 * fails again, does not reset it. Pure.
 */
export function watchAction(
  status: ConnectorStatus,
  state: { failures: number; lastRestartAt: number },
  now: number,
  options: { intervalMs: number; maxBackoffMs: number },
): WatchAction {
  const failedTask = status.tasks.find((task) => task.state === 'FAILED');
  if (status.state !== 'FAILED' && !failedTask) {
    const running =
      status.state === 'RUNNING' &&
      status.tasks.length > 0 &&
      status.tasks.every((task) => task.state === 'RUNNING');
    const quiet = state.failures === 0 || now - state.lastRestartAt >= backoffMs(state.failures, options);
    return { type: 'none', settled: running && quiet };
  }
  const trace = firstLine(failedTask?.trace) || `connector ${status.state}`;
  if (state.failures === 0) return { type: 'restart', trace };
  const untilMs = state.lastRestartAt + backoffMs(state.failures, options);
  return now >= untilMs ? { type: 'restart', trace } : { type: 'wait', trace, untilMs };
}

const firstLine = (trace: string | undefined) => (trace ?? '').split('\n')[0]?.trim() ?? '';

export interface ConnectorWatchOptions {
  /** Kafka Connect's REST API. */
  url: string;
  /** The Debezium connector whose change stream this worker reads. */
  name: string;
  auth: ConnectAuth | undefined;
  intervalMs: number;
  maxBackoffMs: number;
  /** Restart what FAILED (CONNECTOR_RESTART=on); otherwise only report it. */
  restart: boolean;
}

/**
 * Keeps the change stream flowing: Debezium's PostgreSQL task fails for good when it starts while the
 * database goes away or comes back ("Failed to create TypeRegistry", a refused login), and Connect does
 * not restart a FAILED task by itself: the aggregates would silently stop. Every `intervalMs` the watch
 * reads the connector's status and restarts what FAILED (`POST …/restart?includeTasks=true&onlyFailed=true`),
 * with a back-off ({@link watchAction}). It never stops the worker: Connect unreachable or refusing the
 * login is logged (once per cause) and shown in /healthz.
 */
export class ConnectorWatch {
  private readonly task: PeriodicTask;
  /** Aborts a request in progress at shutdown: the worker does not wait on Connect to stop. */
  private readonly stopping = new AbortController();
  private failures = 0;
  private restartCount = 0;
  private lastRestartAt = 0;
  private lastProblem: string | undefined;
  private latest: { state: string; restarts: number; problem: string | null } | undefined;
  private readonly restarts: Counter;

  constructor(
    private readonly options: ConnectorWatchOptions,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.restarts = new Counter({
      name: 'analytics_connector_restarts_total',
      help: 'Restarts of the FAILED Debezium connector or task by the analytics worker',
      registers: [registry],
    });
    this.task = new PeriodicTask(
      () => this.check(),
      options.intervalMs,
      (error) => logger.warn({ err: error }, 'the connector check failed; trying again'),
    );
  }

  start(): void {
    this.task.start();
  }

  /** Stops the checks and waits for one in progress (ordered shutdown). */
  stop(): Promise<void> {
    this.stopping.abort();
    return this.task.stop();
  }

  /** What /healthz adds to its body. */
  health(): { connector: { state: string; restarts: number; problem: string | null } | null } {
    return { connector: this.latest ?? null };
  }

  private async check(): Promise<void> {
    const { url, name } = this.options;
    let status: ConnectorStatus;
    try {
      status = await this.read();
    } catch (error) {
      this.problem(describeError(error), 'warn');
      this.latest = { state: 'UNKNOWN', restarts: this.restartCount, problem: this.lastProblem ?? null };
      return;
    }
    const now = Date.now();
    const action = watchAction(
      status,
      { failures: this.failures, lastRestartAt: this.lastRestartAt },
      now,
      this.options,
    );
    if (status.state === 'MISSING')
      this.problem(
        `connector ${name} is not registered on ${url}: the aggregates get no changes (sales-pipeline connector register)`,
        'warn',
      );
    else if (action.type === 'none' && action.settled) {
      if (this.failures > 0) this.logger.info({ connector: name }, 'the connector is running again');
      this.failures = 0;
      this.lastProblem = undefined;
    }
    if (action.type === 'restart' && !this.options.restart)
      this.problem(
        `the connector FAILED (${action.trace}); CONNECTOR_RESTART=off: restart it with POST ${url}/connectors/${name}/restart?includeTasks=true&onlyFailed=true`,
        'error',
      );
    else if (action.type === 'restart') {
      try {
        await this.restart();
        this.failures += 1;
        this.lastRestartAt = now;
        this.restarts.inc();
        this.restartCount += 1;
        this.logger.warn(
          { connector: name, trace: action.trace, restarts: this.restartCount },
          'the connector FAILED: restarted it (its change stream resumes from its last committed position)',
        );
        this.lastProblem = `FAILED: ${action.trace}`;
      } catch (error) {
        this.problem(`the connector FAILED and could not be restarted: ${describeError(error)}`, 'error');
      }
    }
    this.latest = { state: summary(status), restarts: this.restartCount, problem: this.lastProblem ?? null };
  }

  /** Logs a problem once until it changes or goes away. */
  private problem(message: string, level: 'warn' | 'error'): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.logger[level]({ connector: this.options.name }, message);
  }

  private read(): Promise<ConnectorStatus> {
    const { url, name, auth } = this.options;
    return readConnectorState(
      url,
      name,
      auth,
      AbortSignal.any([AbortSignal.timeout(5_000), this.stopping.signal]),
    );
  }

  private async restart(): Promise<void> {
    const { url, name, auth } = this.options;
    const response = await fetch(
      `${url}/connectors/${encodeURIComponent(name)}/restart?includeTasks=true&onlyFailed=true`,
      {
        method: 'POST',
        headers: connectAuthHeaders(auth),
        signal: AbortSignal.any([AbortSignal.timeout(10_000), this.stopping.signal]),
      },
    );
    await response.body?.cancel();
    if (!response.ok) throw new Error(`Kafka Connect answered ${response.status} to the restart`);
  }
}

/** `RUNNING`, or the connector's state with its tasks' when one differs: `RUNNING (task 0 FAILED)`. */
function summary(status: ConnectorStatus): string {
  const odd = status.tasks.filter((task) => task.state !== 'RUNNING');
  return odd.length === 0
    ? status.state
    : `${status.state} (${odd.map((t) => `task ${t.id} ${t.state}`).join(', ')})`;
}
