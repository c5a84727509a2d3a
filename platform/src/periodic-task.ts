/**
 * Runs `task` at once and then every `everyMs`, never two runs at once (a tick while one runs is skipped),
 * on a timer that does not keep the process alive: the shape of a worker's background checks (the
 * aggregates' verifier, the connector watch, the stale feed watch). `task` handles its own errors (it
 * logs and tries again at the next tick); one that escapes goes to `onError`. {@link stop} clears the
 * timer and waits for the run in progress, so that a worker stops it before it closes what the task uses.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly everyMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    const tick = () => {
      this.running ??= this.task()
        .catch(this.onError)
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, this.everyMs);
    this.timer.unref();
  }

  /** Stops the ticks and waits for a run in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
