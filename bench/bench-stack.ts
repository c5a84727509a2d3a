import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {
  connectAuth,
  connectAuthHeaders,
  createKafka,
  createLogger,
  DEFAULT_TOPICS,
  ensureTopics,
  pipelineTopicSpecs,
} from '@sales-pipeline/platform';
import {
  CDC_CONNECTOR_NAME,
  REPO_ROOT,
  connectorState,
  loadStackConfig,
  nativeClientEnv,
  nativeDown,
  startStack,
  type RunningStack,
} from '@sales-pipeline/stack';

/**
 * A fresh native stack for one benchmark (`.stack/bench-<name>`, emptied first), so that no earlier run's
 * data or change events weigh on the figures. Stop it with `down()` at the end. With BENCH_SECURE=1, a
 * secured stack (SASL_SSL and SCRAM for Kafka, TLS for PostgreSQL, a login for Connect): every client of
 * the run, the workers it spawns included, gets its credentials through this process's environment.
 */
export async function benchStack(name: string): Promise<RunningStack> {
  const home = path.join(REPO_ROOT, '.stack', `bench-${name}`);
  const secure = process.env.BENCH_SECURE === '1';
  const config = loadStackConfig({
    ...process.env,
    SALES_PIPELINE_HOME: home,
    ...(secure ? { STACK_SECURE: '1' } : {}),
  });
  await nativeDown(config, createLogger('bench-stack', 'warn'));
  fs.rmSync(home, { recursive: true, force: true });
  try {
    const stack = await startStack(config, createLogger('bench-stack', 'warn'));
    if (secure) Object.assign(process.env, nativeClientEnv(config));
    return stack;
  } catch (error) {
    await nativeDown(config, createLogger('bench-stack', 'warn')).catch(() => undefined);
    throw error;
  }
}

/** Positive integer from the environment (benchmark sizes), with a default. */
export function sizeFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** Writes `bench/results/<name>.json` and prints a markdown summary. */
export function report(name: string, result: Record<string, unknown>, markdown: string[]): void {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ ...result, measuredAt: new Date().toISOString() }, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, `${name}.md`), `${markdown.join('\n')}\n`);
  process.stdout.write(`${markdown.join('\n')}\n\n(written to ${path.relative(process.cwd(), file)})\n`);
}

export const rate = (rows: number, ms: number) => Math.round((rows * 1000) / ms);

/** Rows per second of two paths over the same rows, and the ratio ours / theirs. */
export function compareRates(rows: number, oursMs: number, theirsMs: number) {
  const ours = rate(rows, oursMs);
  const theirs = rate(rows, theirsMs);
  return { ours, theirs, ratio: ours / theirs };
}

/** Pauses (or resumes) the Debezium source connector, so that a part can write without change capture. */
export async function setCdc(stack: RunningStack, running: boolean): Promise<void> {
  const url = `${stack.endpoints.connectUrl}/connectors/${CDC_CONNECTOR_NAME}/${running ? 'resume' : 'pause'}`;
  const response = await fetch(url, {
    method: 'PUT',
    headers: connectAuthHeaders(connectAuth()),
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  const want = running ? 'RUNNING' : 'PAUSED';
  await until(
    `the CDC connector ${want}`,
    async (saw) => {
      const state = await connectorState(stack.endpoints.connectUrl);
      saw(`connector ${state.state}, tasks ${state.tasks.map((t) => t.state).join(', ') || 'none'}`);
      return state.state === want && state.tasks.every((t) => t.state === want) ? true : undefined;
    },
    { intervalMs: 200, timeoutMs: 120_000, stallMs: 120_000 },
  );
}

/**
 * Runs `body` with a superuser connection and the Debezium source connector paused, so that neither side
 * of a comparison pays for change capture; then empties `sales`, closes the connection and resumes it.
 */
export async function withCdcPaused<T>(stack: RunningStack, body: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = await adminClient(stack);
  await setCdc(stack, false);
  const result = await body(db);
  await db.query('TRUNCATE sales');
  await db.end();
  await setCdc(stack, true);
  return result;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A meter's readings: connects `client`, then runs `read` every `intervalMs` until `stop`, which resolves
 * once the reading in progress is done (the client stays open for a last reading).
 */
export function readEvery(
  client: pg.Client,
  intervalMs: number,
  read: () => Promise<void>,
): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      await read();
      await sleep(intervalMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * Polls `read` every `intervalMs` until it returns a value (not undefined). `read` reports what it observed
 * through `saw` (e.g. "412 of 2,000 rows"): it is printed every `progressMs`, and a wait fails — with what it
 * was waiting for and what it saw last — after `timeoutMs` in all, or after `stallMs` without the
 * observation changing. No wait of the bench can thus hang silently.
 */
export async function until<T>(
  what: string,
  read: (saw: (observation: string) => void) => Promise<T | undefined>,
  { intervalMs = 100, timeoutMs = 1_800_000, stallMs = 300_000, progressMs = 15_000 } = {},
): Promise<T> {
  const started = Date.now();
  let last = 'nothing yet';
  let changedAt = started;
  let printedAt = started;
  const saw = (observation: string) => {
    if (observation !== last) {
      last = observation;
      changedAt = Date.now();
    }
  };
  for (;;) {
    const value = await read(saw);
    if (value !== undefined) return value;
    const now = Date.now();
    const waited = secs(now - started);
    if (now - started > timeoutMs)
      throw new Error(`timed out after ${waited} waiting for ${what}; last seen: ${last}`);
    if (now - changedAt > stallMs)
      throw new Error(
        `no progress for ${secs(now - changedAt)} (after ${waited}) waiting for ${what}; last seen: ${last}`,
      );
    if (now - printedAt >= progressMs) {
      printedAt = now;
      process.stdout.write(`  … waiting ${waited} for ${what}; last seen: ${last}\n`);
    }
    await sleep(intervalMs);
  }
}

/** `promise`, or a failure naming `what` and the last thing `lastSeen` reports when it takes over `timeoutMs`. */
export async function within<T>(
  what: string,
  promise: Promise<T>,
  timeoutMs: number,
  lastSeen: () => string = () => 'nothing',
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`timed out after ${secs(timeoutMs)} waiting for ${what}; last seen: ${lastSeen()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A connection as the cluster's superuser (the bench owns its throwaway stack). */
export async function adminClient(stack: RunningStack): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: stack.secrets.adminDatabaseUrl });
  await client.connect();
  return client;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Ms: Math.round(percentile(sorted, 50)),
    p99Ms: Math.round(percentile(sorted, 99)),
    maxMs: Math.round(sorted.at(-1) ?? Number.NaN),
  };
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en');
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The pipeline's topics as the producer creates them (3 sales partitions), before a consumer starts. */
export async function createPipelineTopics(stack: RunningStack): Promise<void> {
  const admin = createKafka({
    clientId: 'bench-topics',
    brokers: stack.endpoints.kafkaBrokers.split(','),
    logger: createLogger('bench', 'warn'),
  }).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, pipelineTopicSpecs(DEFAULT_TOPICS, 3));
  } finally {
    await admin.disconnect();
  }
}
