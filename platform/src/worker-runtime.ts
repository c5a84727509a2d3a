/**
 * Node's flags for every worker process (producer, consumer, analytics, notifier, dashboard), given on
 * the command line by whatever starts them (`up`'s supervisor, the benchmarks, the chaos test; the
 * Docker image sets the same through NODE_OPTIONS). V8 sizes its heap for the machine (up to a quarter
 * of its memory, a young generation of tens of MB) and lets garbage pile up to that before it collects:
 * a worker streaming a large backlog then peaked at 330–360 MB although it holds a few MB of live data.
 * A small young generation and a bounded old one keep each worker near 150 MB, whatever the backlog,
 * for a little more time in the garbage collector. Measured with `npm run bench -- memory`.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--max-old-space-size=64'];
