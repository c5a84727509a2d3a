import fs from 'node:fs';
import path from 'node:path';
import { Wakeup, type Logger } from '@sales-pipeline/platform';

/**
 * Wakes the follower of a file when the file changes, instead of it checking every few milliseconds:
 * inotify through `fs.watch` on the file's directory (so that a file created, renamed away or replaced
 * wakes it too), with a slow poll as the safety net (a filesystem without events, a watch that could
 * not be set up). A change that happens while the follower is busy is remembered, so none is missed.
 */
export class FileChangeSignal {
  private watcher: fs.FSWatcher | undefined;
  private readonly changes = new Wakeup();

  constructor(file: string, logger: Logger) {
    const name = path.basename(file);
    try {
      this.watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, filename) => {
        if (filename === null || filename === name) this.changes.notify();
      });
      this.watcher.on('error', (error) => {
        logger.warn({ err: error, file }, 'file watch failed: checking the feed by polling only');
        this.close();
      });
    } catch (error) {
      logger.warn({ err: error, file }, 'cannot watch the feed for changes: checking it by polling only');
    }
  }

  /** Whether changes wake the follower (false: polling only). */
  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /** Whether a change happened since the last wait. */
  get changed(): boolean {
    return this.changes.notified;
  }

  /**
   * Resolves at the next change (at once if one happened since the last wait), after `timeoutMs`
   * (the safety-net poll), or when `stop` aborts.
   */
  next(timeoutMs: number, stop: AbortSignal): Promise<void> {
    return this.changes.wait(timeoutMs, stop);
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
