import { withWorkerMalloc, workerNodeFlags } from '@sales-pipeline/platform/worker-runtime';

/** The commands that run a worker until stopped, or through a whole file: a worker's heap, by hand too. */
const WORKER_COMMANDS = new Set([
  'produce',
  'backfill',
  'ingest',
  'consume',
  'analytics',
  'notify',
  'dashboard',
]);

/** A Node flag that sizes the heap (`--max-old-space-size=…`, `--max_semi_space_size=…`, `--initial-heap-size`…). */
const HEAP_FLAG = /--(max|min|initial)[-_](old|semi|heap|young)[-_]/;

/**
 * The Node command line (flags, then the script and its arguments) that runs this command again with the
 * heap `up`'s supervisor gives its workers (WORKER_NODE_FLAGS: a small young generation, a 64 MB old
 * one), when it is a worker command typed by hand (`npx sales-pipeline backfill history.csv`) without
 * heap flags of its own; undefined otherwise. Without them V8 sizes the heap for the machine and lets
 * garbage pile up to a quarter of its memory. Heap flags given on node's command line or in NODE_OPTIONS
 * are the user's choice and are kept. Pure.
 */
export function workerHeapCommandLine(
  argv: readonly string[],
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] | undefined {
  const [, script, command, ...rest] = argv;
  if (script === undefined || command === undefined || !WORKER_COMMANDS.has(command)) return undefined;
  if (rest.some((arg) => arg === '--help' || arg === '-h')) return undefined;
  if ([...execArgv, nodeOptions ?? ''].some((flag) => HEAP_FLAG.test(flag))) return undefined;
  return [...workerNodeFlags(command), ...execArgv, script, command, ...rest];
}

/** The environment that command line runs with: the caller's, with glibc's WORKER_MALLOC_ENV added. Pure. */
export { withWorkerMalloc as workerHeapEnvironment };
