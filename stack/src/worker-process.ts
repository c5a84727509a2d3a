import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { withWorkerMalloc, workerNodeFlags } from '@sales-pipeline/platform/worker-runtime';
import { REPO_ROOT } from './config.ts';
import { lowerSessionPriority } from './priority.ts';

/** The `sales-pipeline` command that every worker process runs (`sales-pipeline consume`, …). */
export const CLI_BIN = path.join(REPO_ROOT, 'cli', 'bin', 'sales-pipeline.js');

export interface WorkerSpawnOptions {
  /** The process's whole environment (glibc's WORKER_MALLOC_ENV added unless set): nothing else is inherited. */
  env: NodeJS.ProcessEnv;
  /** The script run with the arguments. Default: {@link CLI_BIN}. */
  bin?: string;
  /** Node's own flags, before the script. Default: `workerNodeFlags(args[0])` (platform/worker-runtime). */
  nodeFlags?: readonly string[];
  /** A file descriptor that stdout and stderr are appended to. Default: pipes, for the caller to read. */
  outputFd?: number;
  /** In a process group of its own, as a supervisor that may outlive its terminal starts it. Default: false. */
  detached?: boolean;
  /** Working directory. Default: the caller's. */
  cwd?: string;
  /** Its niceness (1–19), from its first instruction, through `nice`: every thread it starts inherits it. */
  nice?: number;
}

/**
 * Starts one worker process: `node <nodeFlags> <bin> <args>`. The one place that starts a worker, for
 * `up`'s supervisor, the chaos run, the benchmarks and the tests alike.
 */
export function spawnWorker(args: readonly string[], options: WorkerSpawnOptions): ChildProcess {
  const { outputFd } = options;
  const command = [
    process.execPath,
    ...(options.nodeFlags ?? workerNodeFlags(args[0])),
    options.bin ?? CLI_BIN,
    ...args,
  ];
  const niced = options.nice !== undefined && options.nice > 0;
  const child = spawn(
    niced ? 'nice' : process.execPath,
    niced ? ['-n', String(options.nice), ...command] : command.slice(1),
    {
      env: withWorkerMalloc(options.env),
      cwd: options.cwd,
      stdio: outputFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', outputFd, outputFd],
      detached: options.detached ?? false,
    },
  );
  // A detached worker leads its own session, scheduled as a group of its own: the group's niceness too.
  if (niced && options.detached && child.pid !== undefined)
    lowerSessionPriority(child.pid, options.nice as number);
  return child;
}

/** Whether the process is still running (it has neither exited nor been killed by a signal). */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves once the process has exited; at once if it already has. */
export function childExited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Stops a process: SIGTERM (a clean shutdown), then SIGKILL if it is still running `timeoutMs` later
 * (`onKill` is called just before). Resolves once it has exited.
 */
export async function stopChild(child: ChildProcess, timeoutMs: number, onKill?: () => void): Promise<void> {
  if (!isRunning(child)) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    onKill?.();
    child.kill('SIGKILL');
  }, timeoutMs);
  try {
    await childExited(child);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Collects what a process started with pipes prints on stdout and stderr. Returns a reader of the last
 * `maxChars` characters (all of it by default); `onChunk` sees every chunk as it comes.
 */
export function keepOutput(
  child: ChildProcess,
  maxChars?: number,
  onChunk?: (chunk: Buffer) => void,
): () => string {
  let output = '';
  const keep = (chunk: Buffer) => {
    onChunk?.(chunk);
    output = output + chunk.toString();
    if (maxChars !== undefined) output = output.slice(-maxChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => output;
}
