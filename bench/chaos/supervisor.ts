import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isRunning, spawnWorker, stopChild, waitFor } from '@sales-pipeline/stack';

/** Where the chaos checks find the command (`reconcile`): the same one the workers run. */
export { CLI_BIN } from '@sales-pipeline/stack';

/** Something a supervised worker did that the timeline records. */
export interface WorkerEvent {
  worker: string;
  what: 'exited';
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  tail: string;
}

/**
 * Runs one `sales-pipeline <command>` worker and keeps it running like a process manager would
 * (systemd's Restart=always): after a `kill -9` it is respawned at once with the same arguments and
 * environment; when it exits by itself (it may give up while the broker or the database is down) that
 * is recorded and it is respawned after `respawnDelayMs`. A `oneShot` worker (a backfill) that exits with
 * code 0 has finished: it is not respawned. Its output is appended to `logFile`.
 */
export class WorkerSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private killedByUs = new Set<number>();
  private tailText = '';
  private exitWaiters: Array<() => void> = [];
  spawns = 0;
  /** A one-shot worker that exited with code 0. */
  finished = false;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    private readonly onEvent: (event: WorkerEvent) => void,
    private readonly respawnDelayMs = 1_000,
    private readonly oneShot = false,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the worker printed (for reports). */
  tail(): string {
    return this.tailText;
  }

  start(): void {
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    const out = fs.openSync(this.logFile, 'a');
    const child = spawnWorker(this.args, { env: this.env });
    this.spawns++;
    this.child = child;
    const keep = (chunk: Buffer) => {
      fs.writeSync(out, chunk);
      this.tailText = (this.tailText + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('close', (code, signal) => {
      fs.closeSync(out);
      const pid = child.pid ?? -1;
      const ours = this.killedByUs.delete(pid);
      for (const resolve of this.exitWaiters.splice(0)) resolve();
      if (this.stopping) return;
      if (ours) {
        this.start();
        return;
      }
      if (this.oneShot && code === 0) {
        this.finished = true;
        return;
      }
      this.onEvent({
        worker: this.name,
        what: 'exited',
        pid,
        code,
        signal,
        tail: this.tailText.slice(-1500),
      });
      setTimeout(() => {
        if (!this.stopping) this.start();
      }, this.respawnDelayMs);
    });
  }

  /** `kill -9` the running process; it is respawned as soon as it is gone. Returns the pid killed. */
  async kill9(): Promise<number | undefined> {
    // a worker that exited by itself is respawned after a delay: kill the new one
    await waitFor(
      'the respawned worker',
      async () => (this.running() || this.stopping || this.finished ? true : undefined),
      {
        timeoutMs: this.respawnDelayMs + 5_000,
        intervalMs: 100,
      },
    ).catch(() => undefined); // still not running: nothing to kill
    const child = this.child;
    const pid = child?.pid;
    if (!child || pid === undefined || !this.running()) return undefined;
    const gone = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.killedByUs.add(pid);
    child.kill('SIGKILL');
    await gone;
    return pid;
  }

  private running(): boolean {
    return !!this.child && isRunning(this.child);
  }

  /** Stops the worker for good (SIGTERM, SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || !isRunning(child)) return;
    // Resolved on 'close': its output is in the log file by then.
    const gone = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    await stopChild(child, timeoutMs);
    await gone;
  }
}
