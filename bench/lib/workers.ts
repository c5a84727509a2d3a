import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import {
  REPO_ROOT,
  keepOutput,
  spawnWorker,
  stopChild,
  downstreamNiceSchema,
  resolveDownstreamNice,
  workerNice,
  type RunningStack,
} from '@sales-pipeline/stack';
import { secs, within } from '../bench-stack.ts';

/** Peak resident memory (VmHWM) of a live process, in KiB; undefined once it is gone. */
export function vmHwmKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `sales-pipeline <command>` worker run as a child process (one process per worker, so that its memory
 * is its own). Its VmHWM is sampled every 100 ms while it lives: the kernel keeps the peak, the sampling
 * only has to catch it before the process exits.
 */
export interface Worker {
  readonly name: string;
  readonly child: ChildProcess;
  readonly startedAt: number;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** The last 20,000 characters of stdout + stderr. */
  output(): string;
  /** Highest VmHWM seen, in MiB. */
  peakMb(): number;
  /** SIGTERM (a clean shutdown) and the exit code; SIGKILL if it has not exited 60 s later. */
  stop(): Promise<number | null>;
}

export function startWorker(name: string, args: string[], env: Record<string, string | undefined>): Worker {
  const startedAt = Date.now();
  const nice = workerNice(name, downstreamNice());
  const child = spawnWorker(args, {
    // The default flags (WORKER_NODE_FLAGS), unless BENCH_WORKER_NODE_OPTIONS replaces them (below).
    nodeFlags: process.env.BENCH_WORKER_NODE_OPTIONS === undefined ? undefined : [],
    cwd: REPO_ROOT,
    // DOWNSTREAM_NICE, as `up` applies it: the consumer, analytics and the notifier at that niceness.
    nice,
    // In a session of its own, as under `up`: the kernel schedules each session as a group (autogroups), and
    // a niceness counts only within its group.
    detached: nice > 0,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'warn',
      // A secured stack's Kafka settings (BENCH_SECURE=1): KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*.
      ...Object.fromEntries(
        Object.entries(process.env).filter(([key]) => /^KAFKA_(SECURITY|SASL|SSL)_/.test(key)),
      ),
      // BENCH_WORKER_NODE_OPTIONS: Node flags for the workers instead of WORKER_NODE_FLAGS (to compare). Give a
      // heap flag in it (V8's default old space: --max-old-space-size=4096 here): without one, a worker
      // command adds WORKER_NODE_FLAGS itself (cli/src/worker-heap.ts).
      ...(process.env.BENCH_WORKER_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS }
        : {}),
      ...env,
    },
  });
  const output = keepOutput(child, 20_000);
  let peakKb = 0;
  const sample = () => {
    if (child.pid !== undefined) peakKb = Math.max(peakKb, vmHwmKb(child.pid) ?? 0);
  };
  const sampler = setInterval(sample, 100);
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      clearInterval(sampler);
      resolve(code);
    }),
  );
  return {
    name,
    child,
    startedAt,
    exited,
    output,
    peakMb: () => Math.round(peakKb / 1024),
    async stop() {
      sample();
      await stopChild(child, 60_000, () =>
        process.stdout.write(`  ${name} still running 60 s after SIGTERM: SIGKILL\n`),
      );
      return exited;
    },
  };
}

/** The workers' tuning knobs set in the bench's own environment (FILE_POLL_INTERVAL_MS, CONSUMER_…, …). */
function passThrough(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined &&
        /^(FILE_POLL_INTERVAL_MS|LAST_LINE_IDLE_MS|PRODUCER_|INGEST_|CONSUMER_|ANALYTICS_|NOTIFIER_|BACKFILL_|DATABASE_POOL_SIZE|SLACK_MIN_INTERVAL_MS|LOG_LEVEL)/.test(
          entry[0],
        ),
    ),
  );
}

/** Environment of a worker on a bench stack (the stack's brokers and database, default topics). */
export function workerEnv(stack: RunningStack, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.endpoints.kafkaBrokers,
    DATABASE_URL: stack.secrets.databaseUrl,
    CONSUMER_SESSION_TIMEOUT_MS: '6000',
    ANALYTICS_SESSION_TIMEOUT_MS: '6000',
    NOTIFIER_SESSION_TIMEOUT_MS: '6000',
    ...passThrough(),
    ...extra,
  };
}

/** Fails with the worker's output when one of `workers` exits before `promise` settles. */
export async function whileAlive<T>(workers: Worker[], promise: Promise<T>): Promise<T> {
  let settled = false;
  const died = workers.map(
    (w) =>
      new Promise<never>((_, reject) => {
        void w.exited.then((code) => {
          if (!settled)
            reject(new Error(`${w.name} exited (${code}) during the benchmark:\n${w.output().slice(-3000)}`));
        });
      }),
  );
  try {
    return await Promise.race([promise, ...died]);
  } finally {
    settled = true;
  }
}

/**
 * Waits for a worker that ends by itself (the producer on a finite feed) to exit 0; fails with its output
 * if it exits otherwise, or if it is still running after `timeoutMs` (default: 10 min + 5 ms per row).
 */
export async function waitForExit(
  worker: Worker,
  rows: number,
  timeoutMs = 600_000 + rows * 5,
): Promise<void> {
  const code = await within(`${worker.name} to exit (${rows} rows)`, worker.exited, timeoutMs, () =>
    [`running for ${secs(Date.now() - worker.startedAt)}`, worker.output().slice(-2000)].join('; output: '),
  ).catch(async (error: unknown) => {
    await worker.stop();
    throw error;
  });
  if (code !== 0) throw new Error(`${worker.name} exited ${code}:\n${worker.output().slice(-3000)}`);
}

/**
 * DOWNSTREAM_NICE for this run: the stages after Kafka run at that niceness, as under `up`; unset, as `up`
 * decides it (10 while the ingest server runs: BENCH_RUNS_INGEST, set by the http part).
 */
export function downstreamNice(): number {
  return resolveDownstreamNice(
    downstreamNiceSchema.parse(process.env.DOWNSTREAM_NICE),
    process.env.BENCH_RUNS_INGEST === '1',
  );
}
