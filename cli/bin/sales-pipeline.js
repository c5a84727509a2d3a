#!/usr/bin/env node
// The sales-pipeline command: runs the compiled JavaScript in cli/dist (`npm run build`, which `npm ci`
// runs through the `prepare` script).
// kafkajs 2.2.4 asks for a negative timer delay when its request queue is idle (tulios/kafkajs#1751);
// Node clamps it to 1 ms as it always did, but since Node 24 it also prints a TimeoutNegativeWarning
// on every connection. That one warning is dropped; every other warning is printed as usual.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'TimeoutNegativeWarning' || warning?.name === 'TimeoutNegativeWarning') return;
  emitWarning(warning, ...rest);
};

let main;
try {
  // A worker command typed by hand runs with the heap `up` gives its workers: the process replaces itself
  // (same pid) with those Node flags and glibc's allocator settings added (cli/src/worker-heap.ts).
  const { workerHeapCommandLine, workerHeapEnvironment } = await import('../dist/worker-heap.js');
  const again = workerHeapCommandLine(process.argv, process.execArgv, process.env.NODE_OPTIONS);
  // Where it cannot (Node before 22.15, Windows, --permission), the command runs as it was started.
  if (again && typeof process.execve === 'function') {
    try {
      process.execve(process.execPath, [process.execPath, ...again], workerHeapEnvironment(process.env));
    } catch {
      // not available here: Node's default heap
    }
  }
  ({ main } = await import('../dist/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist')) throw error;
  process.stderr.write(
    'sales-pipeline: the compiled code is missing (cli/dist). Run `npm run build` (or `npm ci`) in the clone.\n',
  );
  process.exit(2);
}
const code = await main(process.argv);
process.exitCode = code;
// Normally the process ends here, once its output is flushed. But a client library may keep a handle
// open after its work is over (kafkajs retrying a broker that went away, say): a worker that failed
// must still exit, so that its supervisor restarts it, rather than linger with its error printed.
globalThis.setTimeout(() => process.exit(code), 3000).unref();
