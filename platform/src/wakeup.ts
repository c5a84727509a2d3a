/**
 * A wake-up call between two parts of a process: one side waits (with a timeout, the safety net, and
 * a stop signal), the other calls `notify()`. A notification that arrives while nobody waits is kept
 * for the next wait, so none is lost. Use it instead of checking something every few milliseconds.
 */
export class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;

  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Whether a notification is waiting to be taken by the next `wait`. */
  get notified(): boolean {
    return this.pending;
  }

  /** Resolves at the next notification (at once if one is pending), after `timeoutMs`, or on `stop`. */
  async wait(timeoutMs: number, stop: AbortSignal): Promise<void> {
    if (!this.pending && !stop.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.wake = done;
        stop.addEventListener('abort', done, { once: true });
      });
    }
    this.pending = false;
  }
}
