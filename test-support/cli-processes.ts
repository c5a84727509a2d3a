import type { ChildProcess } from 'node:child_process';
import { isRunning, keepOutput, spawnWorker } from '@sales-pipeline/stack';

/**
 * The tests run the `sales-pipeline` command as a user types it: through the one spawner, without the
 * Node flags (WORKER_NODE_FLAGS) that `up`'s supervisor gives its workers on their command line (a worker
 * command then adds them itself, as when typed by hand: cli/src/worker-heap.ts).
 */
const NO_NODE_FLAGS: readonly string[] = [];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sales-pipeline <args>` to its end; SIGKILL once `timeoutMs` has passed, if given. */
function runToEnd(args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnWorker(args, { env, nodeFlags: NO_NODE_FLAGS });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the real `sales-pipeline` command in a child process with exactly the given environment. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<CliResult> {
  return runToEnd(args, env, timeoutMs);
}

/** Runs `sales-pipeline produce …` to completion. */
export function produceOnce(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runToEnd(['produce', ...args], env);
}

export type Worker = ChildProcess & { output: () => string; exited: Promise<number | null> };

/**
 * Starts a `sales-pipeline <command>` worker process; with `nodeFlags` (WORKER_NODE_FLAGS), with the heap
 * `up`'s supervisor gives it.
 */
export function startWorker(
  command: string[],
  env: NodeJS.ProcessEnv,
  nodeFlags: readonly string[] = NO_NODE_FLAGS,
): Worker {
  const child = spawnWorker(command, { env, nodeFlags });
  const output = keepOutput(child);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return Object.assign(child, { output, exited });
}

/** SIGTERM, and the exit code once the worker has shut down. */
export async function stopWorker(worker: Worker): Promise<number | null> {
  if (isRunning(worker)) worker.kill('SIGTERM');
  return worker.exited;
}

/** Starts `sales-pipeline produce … --follow` in the background. */
export function produceFollowing(args: string[], env: NodeJS.ProcessEnv): Worker {
  return startWorker(['produce', '--follow', ...args], env);
}

/** Stops a following producer with SIGTERM and waits for it to exit. */
export const stopProducer: (producer: Worker) => Promise<number | null> = stopWorker;

/** Waits for a child process to exit by itself, failing after `timeoutMs` (the process is then killed). */
export function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not exit by itself within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
