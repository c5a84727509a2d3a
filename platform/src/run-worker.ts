import type { LevelWithSilent } from 'pino';
import type { Env } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { stopOnSignals } from './stop-on-signals.ts';

/** What runWorker needs of a worker's config: its log level (LOG_LEVEL). */
export interface WorkerConfigBase {
  LOG_LEVEL: LevelWithSilent;
}

/**
 * A worker as a process runs it, declared by the worker's package: the logger's `service`, how it reads its
 * config from the environment, and what it runs until `stop` aborts.
 */
export interface WorkerEntry<C extends WorkerConfigBase> {
  service: string;
  loadConfig: (env: Env) => C;
  run: (config: C, logger: Logger, stop: AbortSignal) => Promise<unknown>;
}

/**
 * Runs a worker as the process's one job, from its validated config: creates the logger of `service` at
 * the config's LOG_LEVEL, stops the worker on the first SIGINT/SIGTERM/SIGHUP (a second one exits 130),
 * and returns what it returns once it has closed its connections (see {@link withWorkerClients}). A
 * failure is rethrown for the command line to print and turn into the exit code (2 for a configuration
 * error, 1 otherwise), so that a supervisor restarts the worker.
 */
export async function runWorker<C extends WorkerConfigBase, T>(
  service: string,
  config: C,
  run: (config: C, logger: Logger, stop: AbortSignal) => Promise<T>,
): Promise<T> {
  const logger = createLogger(service, config.LOG_LEVEL);
  const stop = stopOnSignals();
  try {
    return await run(config, logger, stop.signal);
  } finally {
    stop.dispose();
  }
}
