import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '@sales-pipeline/platform';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs a program to completion; a non-zero exit becomes a {@link StackError} carrying the end of its output. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        env: options.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n');
          reject(
            new StackError(`${file} ${args.join(' ')} failed: ${error.message.split('\n')[0]}\n${tail}`, {
              cause: error,
            }),
          );
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/**
 * Starts a long-running program in its own process group, output appended to `logFile`, and
 * records its pid in `pidFile`. The launcher does not wait for it: health checks do.
 */
export function spawnDetached(
  file: string,
  args: readonly string[],
  options: { logFile: string; pidFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): number {
  const out = fs.openSync(options.logFile, 'a');
  try {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: options.env,
      cwd: options.cwd,
    });
    if (child.pid === undefined) throw new StackError(`could not start ${file}`);
    child.unref();
    fs.writeFileSync(options.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}

/** Whether a process with this pid exists (zombies of our own children included). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded in `pidFile`, if the file exists and the process is alive. */
export function livePid(pidFile: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(pidFile, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim().split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // the whole process group started by spawnDetached
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM, then SIGKILL once `timeoutMs` has passed. Resolves when the process is gone. */
export async function stopProcess(pid: number, timeoutMs: number): Promise<'stopped' | 'killed'> {
  signalGroup(pid, 'SIGTERM');
  if (await waitUntilGone(pid, timeoutMs)) return 'stopped';
  signalGroup(pid, 'SIGKILL');
  await waitUntilGone(pid, Number.POSITIVE_INFINITY, 50);
  return 'killed';
}

/** Polls until no process has this pid; false if one still does after `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  try {
    await waitFor(`process ${pid} to exit`, async () => (isAlive(pid) ? undefined : true), {
      timeoutMs,
      intervalMs,
    });
    return true;
  } catch (error) {
    if (error instanceof StackError) return false;
    throw error;
  }
}

/** Polls `check` until it returns a value, or throws a {@link StackError} after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: {
    timeoutMs: number;
    intervalMs?: number;
    /** What to do about it; a function is called only when the wait fails (it may read a log). */
    hint?: string | (() => string);
    /** When it returns false, waiting stops at once: the process died. */
    stillRunning?: () => boolean;
    /** An error for which waiting longer cannot help: rethrown at once. */
    isFatal?: (error: unknown) => boolean;
  },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (options.isFatal?.(error)) throw error;
      lastError = error;
    }
    if (options.stillRunning && !options.stillRunning()) {
      throw new StackError(`${what}: the process exited before it became healthy`, {
        hint: typeof options.hint === 'function' ? options.hint() : options.hint,
        cause: lastError,
      });
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new StackError(`${what} did not become healthy within ${options.timeoutMs} ms${reason}`, {
        hint: typeof options.hint === 'function' ? options.hint() : options.hint,
        cause: lastError,
      });
    }
    await sleep(options.intervalMs ?? 250);
  }
}
