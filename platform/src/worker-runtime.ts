/**
 * Node's flags for every worker process (producer, consumer, analytics, notifier, dashboard), given on
 * the command line by whatever starts them (`up`'s supervisor, the benchmarks, the chaos test; the
 * Docker image sets the same through NODE_OPTIONS). V8 sizes its heap for the machine (up to a quarter
 * of its memory, a young generation of tens of MB) and lets garbage pile up to that before it collects:
 * a worker streaming a large backlog then peaked at 330–360 MB although it holds a few MB of live data.
 * A small young generation and a bounded old one keep each worker near 150 MB, whatever the backlog,
 * for a little more time in the garbage collector. Measured with `npm run bench -- memory`. One V8 helper
 * thread instead of four (`--v8-pool-size=1`: concurrent marking and compilation; the machines have two
 * cores shared by every process of the pipeline): the ingest server under a burst of batches peaked at
 * 143–148 MiB instead of 148–158 (three runs each, with WORKER_MALLOC_ENV), at the same throughput.
 */
export const WORKER_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=2',
  '--max-old-space-size=64',
  '--v8-pool-size=1',
];

/**
 * Old space of the workers whose live data is small enough for less than WORKER_NODE_FLAGS gives: the HTTP
 * ingest server keeps its ledger outside the heap and a request's sales only until its transaction
 * commits, but with 64 MB V8 let a burst's garbage grow its heap before collecting it. Alone under 45 s
 * bursts of batches of 100 on 16 connections (about 23,000 sales/s), it peaked at 142 and 149 MiB with
 * 64 MB, at 125 and 125 MiB with 40 (two runs each, alternated; throughput within 5 %).
 */
const OLD_SPACE_MB: Readonly<Record<string, number>> = { ingest: 40 };

/** Node's flags for the worker command `command` (`ingest`, `consume`…): WORKER_NODE_FLAGS, its old space its own. Pure. */
export function workerNodeFlags(command: string | undefined): readonly string[] {
  const oldSpace = command === undefined ? undefined : OLD_SPACE_MB[command];
  if (oldSpace === undefined) return WORKER_NODE_FLAGS;
  return WORKER_NODE_FLAGS.map((flag) =>
    flag.startsWith('--max-old-space-size=') ? `--max-old-space-size=${oldSpace}` : flag,
  );
}

/**
 * glibc's allocator settings for every worker process, set in its environment by whatever starts it (as
 * WORKER_NODE_FLAGS; the user's own values win). By default glibc raises its mmap and trim thresholds as
 * large blocks are freed (up to 32 MB), so the memory of a burst's buffers stays in the process's heap
 * after they are freed. Fixed at 128 KiB, freed large blocks go back to the system at once: the ingest
 * server alone under 20 s bursts of batches of 100 on 16 connections peaked at 148–158 MiB instead of
 * 159–162 (three runs each, alternated), at the same throughput (22,000–26,000 sales/s).
 * Ignored where the C library is not glibc (Alpine's musl).
 */
export const WORKER_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** `env` with {@link WORKER_MALLOC_ENV} added where it does not set them itself. Pure. */
export function withWorkerMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...WORKER_MALLOC_ENV, ...env };
}
