import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, createLogger, PipelineError, type Env, type Logger } from '@sales-pipeline/platform';
import {
  isAlive,
  loadStackConfig,
  lowerNativeStackPriority,
  nativeClientEnv,
  nativeDown,
  externalStack,
  REPO_ROOT,
  resolveDownstreamNice,
  startStack,
  type StackConfig,
  type StackEndpoints,
} from '@sales-pipeline/stack';
import {
  envWithStackDefaults,
  loadCliConfig,
  loadFeedsConfig,
  processEnv,
  stackConfigFor,
} from '../config.ts';
import { demoMilestoneRules, prepareDemoFeeds } from './demo-feeds.ts';
import { formatPipelineStatus } from './format-pipeline-status.ts';
import { readPipelineState } from './pipeline-state.ts';
import { collectStatus } from './pipeline-status.ts';
import { stopPipeline, supervise } from './supervisor.ts';
import { waitHealthy } from './wait-healthy.ts';
import { planWorkers, type Feeds } from './worker-plan.ts';
import { stopOnSignals } from '../run-until-signal.ts';
import { waitForDashboardRecord } from '@sales-pipeline/dashboard/dashboard-record';
import { CLIENT_DATA_DIR } from '../options.ts';

const BIN = path.join(REPO_ROOT, 'cli', 'bin', 'sales-pipeline.js');
export interface UpOptions {
  demo?: boolean;
  docker?: boolean;
  /** No stack: the workers against the endpoints in the environment (an existing cluster and database). */
  external?: boolean;
  detach?: boolean;
  /** A new native stack secured (SASL_SSL with SCRAM-SHA-512, the stack's own CA). */
  secure?: boolean;
  /** Run the HTTP ingest server too (also when INGEST_TOKEN or INGEST_TOKENS_FILE is set). */
  ingest?: boolean;
  rate: number;
  healthTimeout: number;
}

function feedsFor(config: StackConfig, options: { demo?: boolean }, logger: Logger): Feeds {
  if (options.demo) return prepareDemoFeeds(config.home, CLIENT_DATA_DIR);
  const feeds = loadFeedsConfig();
  if (!feeds.sales && !feeds.products && !feeds.stores)
    logger.warn(
      'no feed configured (SALES_FEED, PRODUCTS_FEED, STORES_FEED): no producer runs; use --demo for a simulated feed',
    );
  return feeds;
}

function refuseIfRunning(config: StackConfig): void {
  const state = readPipelineState(config.home);
  if (state && isAlive(state.supervisorPid))
    throw new PipelineError(
      `the pipeline is already running under ${config.home} (supervisor pid ${state.supervisorPid})`,
      {
        code: 'PIPELINE_RUNNING',
        hint: 'See it with: sales-pipeline status. Stop it with: sales-pipeline down',
      },
    );
}

/** The live view of a foreground `up` on a terminal: redrawn every few seconds. */
function liveView(config: StackConfig, env: Env, stop: AbortSignal): Promise<void> {
  return (async () => {
    while (!stop.aborted) {
      const status = await collectStatus(config, env, { sampleMs: 2000 });
      if (stop.aborted) break;
      process.stdout.write(
        `\x1b[2J\x1b[H${formatPipelineStatus(status, config.home)}\n\nCtrl-C stops everything.\n`,
      );
    }
  })();
}

async function runSupervised(
  config: StackConfig,
  options: {
    demo?: boolean;
    ingest?: boolean;
    rate: number;
    mode: 'native' | 'docker' | 'external';
    endpoints?: StackEndpoints | undefined;
    /** DOWNSTREAM_NICE as configured (unset: resolveDownstreamNice decides). */
    downstreamNice: number | undefined;
  },
  env: Env,
  logger: Logger,
  stop: AbortSignal,
): Promise<void> {
  const feeds = feedsFor(config, options, logger);
  const specs = planWorkers(
    feeds,
    options.demo ? { rate: options.rate, salesFile: feeds.sales as string } : undefined,
    { dashboard: true, ingest: runsIngest(options, env) },
  );
  const workerEnv =
    options.demo && !env.MILESTONE_RULES_FILE
      ? { ...env, MILESTONE_RULES_FILE: demoMilestoneRules(config.home) }
      : env;
  await supervise(
    {
      home: config.home,
      mode: options.mode,
      endpoints: options.endpoints,
      demo: options.demo ?? false,
      feeds,
      specs,
      env: workerEnv,
      logger,
      downstreamNice: resolveDownstreamNice(options.downstreamNice, runsIngest(options, env)),
    },
    stop,
  );
}

/** Whether `up` runs the HTTP ingest server: `--ingest`, or a token in the environment. */
function runsIngest(options: { ingest?: boolean | undefined }, env: Env): boolean {
  return options.ingest === true || env.INGEST_TOKEN !== undefined || env.INGEST_TOKENS_FILE !== undefined;
}

/** `up`: the stack, then the supervised workers (in the foreground, or detached with --detach). */
export async function runUp(options: UpOptions): Promise<void> {
  const cli = loadCliConfig();
  const logger = createLogger('up', cli.LOG_LEVEL);
  const config = stackConfigFor(options);
  if (options.docker && options.detach)
    throw new ConfigError([
      '--docker cannot be combined with --detach: containers started by testcontainers stop with this command; ' +
        'for a detached Docker pipeline, use: docker compose up -d',
    ]);
  if (options.external && (options.docker || options.secure || options.demo))
    throw new ConfigError([
      '--external runs the workers against the endpoints in the environment: it takes no --docker, --secure or --demo',
    ]);
  refuseIfRunning(config);
  const started = Date.now();
  const running = options.external
    ? await externalStack(processEnv(), logger, config.startTimeoutMs)
    : await startStack(config, logger, { docker: options.docker ?? false });
  const native = running.mode === 'native' ? nativeClientEnv(config) : {};
  const env: Env = {
    ...processEnv(),
    ...native,
    // The stack's Connect login is its file: a CONNECT_PASSWORD exported for another cluster would make
    // the pair ambiguous (refused), as a CONNECT_URL would send the workers to that cluster.
    ...(native.CONNECT_PASSWORD_FILE ? { CONNECT_PASSWORD: '' } : {}),
    KAFKA_BROKERS: running.endpoints.kafkaBrokers,
    KAFKA_CONNECT_URL: running.endpoints.connectUrl,
    CONNECT_URL: running.endpoints.connectUrl,
    DATABASE_URL: running.secrets.databaseUrl,
    DATABASE_READER_URL: running.secrets.readerDatabaseUrl,
  };
  logger.info({ seconds: (Date.now() - started) / 1000 }, `stack up (${running.mode})`);
  const nice = resolveDownstreamNice(cli.DOWNSTREAM_NICE, runsIngest(options, env));
  if (running.mode === 'native' && nice > 0)
    logger.info(
      { nice, threads: lowerNativeStackPriority(config, nice) },
      cli.DOWNSTREAM_NICE === undefined
        ? 'Connect and PostgreSQL at a lower priority while the ingest server runs (DOWNSTREAM_NICE unset)'
        : 'Connect and PostgreSQL at a lower priority (DOWNSTREAM_NICE)',
    );

  if (options.detach) {
    fs.mkdirSync(path.join(config.home, 'logs'), { recursive: true });
    const out = fs.openSync(path.join(config.home, 'logs', 'supervisor.log'), 'a');
    const args = [
      BIN,
      'supervise',
      ...(options.demo ? ['--demo', '--rate', String(options.rate)] : []),
      ...(options.ingest ? ['--ingest'] : []),
      ...(options.external ? ['--external'] : []),
    ];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    child.unref();
    const status = await waitHealthy(config, env, options.healthTimeout * 1000);
    process.stdout.write(`${formatPipelineStatus(status, config.home)}\n`);
    if (!status.healthy) {
      // A failed `up` leaves nothing running: the supervisor and its workers, and the stack components
      // this `up` started (a stack that ran before stays).
      await stopPipeline(config.home, logger);
      await running.stopStarted();
      process.stderr.write(
        `sales-pipeline: the pipeline is not healthy after ${options.healthTimeout} s, so it was stopped; ` +
          `see the logs under ${path.join(config.home, 'logs')}\n`,
      );
      process.exitCode = 1;
      return;
    }
    process.stdout.write(
      `\npipeline up in ${((Date.now() - started) / 1000).toFixed(1)} s. ` +
        'Watch it: sales-pipeline status. Stop it: sales-pipeline down\n',
    );
    if (status.dashboard) process.stdout.write(`dashboard: ${status.dashboard.url}\n`);
    return;
  }

  const stop = stopOnSignals();
  const view = process.stdout.isTTY
    ? liveView(config, env, stop.signal)
    : (process.stdout.write(
        'pipeline running; sales-pipeline status shows it from another terminal. Ctrl-C stops everything.\n',
      ),
      Promise.resolve());
  if (!process.stdout.isTTY)
    void waitForDashboardRecord(config.home, { since: started, signal: stop.signal }).then(
      (d) => d && process.stdout.write(`dashboard: ${d.url}\n`),
    );
  try {
    await runSupervised(
      config,
      {
        ...options,
        mode: running.mode,
        endpoints: running.endpoints,
        downstreamNice: cli.DOWNSTREAM_NICE,
      },
      env,
      logger,
      stop.signal,
    );
    await view;
  } finally {
    stop.dispose();
    await running.down();
    process.stdout.write('pipeline and stack stopped\n');
  }
}

/** `supervise`: what a detached `up` leaves running. */
export async function runSupervise(options: {
  demo?: boolean;
  ingest?: boolean;
  external?: boolean;
  rate: number;
}): Promise<void> {
  const cli = loadCliConfig();
  const logger = createLogger('supervisor', cli.LOG_LEVEL);
  const config = loadStackConfig();
  refuseIfRunning(config);
  const stop = stopOnSignals();
  try {
    await runSupervised(
      config,
      options.external
        ? {
            ...options,
            mode: 'external',
            endpoints: (await externalStack(processEnv(), logger, 0, false)).endpoints,
            downstreamNice: cli.DOWNSTREAM_NICE,
          }
        : { ...options, mode: 'native', downstreamNice: cli.DOWNSTREAM_NICE },
      await envWithStackDefaults(),
      logger,
      stop.signal,
    );
  } finally {
    stop.dispose();
  }
}

/** `down [--purge]`. */
export async function runDown(options: { purge?: boolean }): Promise<void> {
  const logger = createLogger('down', loadCliConfig().LOG_LEVEL);
  const config = loadStackConfig();
  const stopped = await stopPipeline(config.home, logger);
  await nativeDown(config, logger);
  if (options.purge) {
    const home = path.resolve(config.home);
    if (home === path.parse(home).root || home === REPO_ROOT || home === os.homedir())
      throw new ConfigError([
        `refusing to delete ${home}: SALES_PIPELINE_HOME must be a directory of its own`,
      ]);
    fs.rmSync(home, { recursive: true, force: true });
  }
  process.stdout.write(
    `pipeline down${stopped.length ? ` (stopped: ${stopped.join(', ')})` : ''}; stack down` +
      `${options.purge ? `; ${config.home} deleted` : ''}\n`,
  );
}

/** `status [--json]`. */
export async function showStatus(options: { json?: boolean; sample: number }): Promise<void> {
  const config = loadStackConfig();
  const result = await collectStatus(config, await envWithStackDefaults(), { sampleMs: options.sample });
  process.stdout.write(
    options.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatPipelineStatus(result, config.home)}\n`,
  );
  if (!result.healthy) process.exitCode = 1;
}
