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

/**
 * The ingest server's: its ledger holds every sale id accepted over HTTP (about 95 bytes each), which
 * outgrew 64 MB after about 280,000 sales (the server died out of memory, and would again on each restart,
 * reading the ledger back). 256 MB holds about two million; the ledger is not bounded yet (docs/ingest.md).
 */
export const INGEST_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--max-old-space-size=256'];

/** The Node flags of a worker by its name (`ingest`, `consumer`, …). */
export function workerNodeFlags(name: string): readonly string[] {
  return name === 'ingest' ? INGEST_NODE_FLAGS : WORKER_NODE_FLAGS;
}
