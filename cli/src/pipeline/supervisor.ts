import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Env, Logger } from '@sales-pipeline/platform';
import {
  freePort,
  isAlive,
  spawnWorker,
  stopChild,
  waitUntilGone,
  workerNice,
  type StackEndpoints,
} from '@sales-pipeline/stack';
import {
  readPipelineState,
  removePipelineState,
  writePipelineState,
  type PipelineState,
  type WorkerName,
  type WorkerRecord,
} from './pipeline-state.ts';
import {
  CONFIG_ERROR_EXIT,
  CRASH_LIMIT,
  CRASH_WINDOW_MS,
  restartDelayMs,
  STOP_ORDER,
  type Feeds,
  type WorkerSpec,
} from './worker-plan.ts';

const STOP_TIMEOUT_MS = 30_000;

export interface SuperviseOptions {
  home: string;
  mode: 'native' | 'docker' | 'external';
  demo: boolean;
  feeds: Feeds;
  specs: WorkerSpec[];
  /** The workers' environment: endpoints and credentials included. */
  env: Env;
  logger: Logger;
  /** Where the stack runs (recorded for `status`); no password in them. */
  endpoints?: StackEndpoints;
  /** The script each worker runs with its spec's arguments. Default: the `sales-pipeline` bin. */
  bin?: string;
  /** The restart policy; defaults from worker-plan.ts (tests shorten it). */
  policy?: Partial<RestartPolicy>;
  /** DOWNSTREAM_NICE: the niceness of the consumer, analytics and the notifier. Default 0. */
  downstreamNice?: number;
}

/** When a worker that exited is restarted, and when the supervisor gives up on it. */
export interface RestartPolicy {
  restartDelayMs: (restarts: number) => number;
  /** More than this many exits within `crashWindowMs` is a crash loop: the worker is left FAILED. */
  crashLimit: number;
  crashWindowMs: number;
}

/**
 * Runs the pipeline's workers as child processes until `stop` aborts, then stops them in order
 * (the feed first, so each stage drains what the previous one sent). A worker that exits on its own is
 * restarted with a growing delay; one that exits with a configuration error (code 2), or crashes more
 * than CRASH_LIMIT times in CRASH_WINDOW_MS, is left stopped and marked failed: no crash loop. Each
 * worker's output goes to `<home>/logs/<name>.log`; what runs is in `<home>/pipeline.json`.
 */
export async function supervise(options: SuperviseOptions, stop: AbortSignal): Promise<void> {
  const { home, logger } = options;
  const policy: RestartPolicy = {
    restartDelayMs,
    crashLimit: CRASH_LIMIT,
    crashWindowMs: CRASH_WINDOW_MS,
    ...options.policy,
  };
  const log = logger.child({ module: 'supervisor' });
  const logDir = path.join(home, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const state: PipelineState = {
    supervisorPid: process.pid,
    mode: options.mode,
    ...(options.endpoints ? { endpoints: options.endpoints } : {}),
    demo: options.demo,
    startedAt: new Date().toISOString(),
    feeds: options.feeds,
    workers: {},
  };
  const children = new Map<WorkerName, ChildProcess>();
  const exits = new Map<WorkerName, number[]>();
  const save = () => writePipelineState(home, state);

  const start = async (spec: WorkerSpec, restarts: number) => {
    const metricsPort = spec.metrics ? await freePort() : undefined;
    const logFile = path.join(logDir, `${spec.name}.log`);
    const out = fs.openSync(logFile, 'a');
    const child = spawnWorker(spec.args, {
      bin: options.bin,
      env: {
        ...options.env,
        // The log file is read back by `status` (its last error): JSON lines, whatever the terminal.
        LOG_FORMAT: 'json',
        ...(metricsPort === undefined ? {} : { METRICS_PORT: String(metricsPort) }),
      },
      outputFd: out,
      detached: true,
      nice: workerNice(spec.name, options.downstreamNice ?? 0),
    });
    fs.closeSync(out);
    children.set(spec.name, child);
    const record: WorkerRecord = {
      name: spec.name,
      pid: child.pid,
      metricsPort,
      logFile,
      startedAt: new Date().toISOString(),
      restarts,
    };
    state.workers[spec.name] = record;
    save();
    log.info({ worker: spec.name, pid: child.pid, metricsPort }, 'worker started');
    child.once('exit', (code, signal) => {
      record.lastExit = { code, signal, at: new Date().toISOString() };
      record.pid = undefined;
      save();
      if (stop.aborted) return;
      const recent = [...(exits.get(spec.name) ?? []), Date.now()].filter(
        (t) => t > Date.now() - policy.crashWindowMs,
      );
      exits.set(spec.name, recent);
      if (code === CONFIG_ERROR_EXIT) {
        record.failed = `configuration error (exit code 2): see ${logFile}`;
      } else if (recent.length > policy.crashLimit) {
        record.failed = `crashed ${recent.length} times in ${policy.crashWindowMs / 1000} s: see ${logFile}`;
      }
      if (record.failed) {
        save();
        log.error({ worker: spec.name, code, signal }, `worker not restarted: ${record.failed}`);
        return;
      }
      const delay = policy.restartDelayMs(restarts);
      log.warn({ worker: spec.name, code, signal, delayMs: delay }, 'worker exited; restarting');
      setTimeout(() => {
        if (!stop.aborted) void start(spec, restarts + 1);
      }, delay).unref();
    });
  };

  try {
    for (const spec of options.specs) await start(spec, 0);
    await new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      else stop.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    for (const name of STOP_ORDER) {
      const child = children.get(name);
      if (!child?.pid || !isAlive(child.pid) || child.exitCode !== null) continue;
      log.info({ worker: name }, 'stopping worker');
      await stopChild(child, STOP_TIMEOUT_MS);
    }
    if (readPipelineState(home)?.supervisorPid === process.pid) removePipelineState(home);
  }
}

/**
 * Stops what a supervisor left running (`down`, or after the supervisor itself was killed): SIGTERM to
 * the supervisor, which stops its workers in order; then SIGKILL to any worker still alive.
 */
export async function stopPipeline(home: string, logger: Logger): Promise<string[]> {
  const state = readPipelineState(home);
  if (!state) return [];
  const stopped: string[] = [];
  if (isAlive(state.supervisorPid) && state.supervisorPid !== process.pid) {
    process.kill(state.supervisorPid, 'SIGTERM');
    await waitUntilGone(state.supervisorPid, STOP_TIMEOUT_MS * 2);
    stopped.push('supervisor');
  }
  for (const record of Object.values(state.workers)) {
    if (!record?.pid || !isAlive(record.pid)) continue;
    logger.warn({ worker: record.name, pid: record.pid }, 'worker outlived its supervisor; stopping it');
    process.kill(record.pid, 'SIGTERM');
    if (!(await waitUntilGone(record.pid, STOP_TIMEOUT_MS))) process.kill(record.pid, 'SIGKILL');
    stopped.push(record.name);
  }
  removePipelineState(home);
  return stopped;
}
