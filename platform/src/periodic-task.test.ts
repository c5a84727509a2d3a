import { describe, expect, it } from 'vitest';
import { PeriodicTask } from './periodic-task.ts';

describe('PeriodicTask', () => {
  it('runs at once, then on its interval, never two runs at once, and stop waits for the run in progress', async () => {
    let runs = 0;
    let concurrent = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const task = new PeriodicTask(
      async () => {
        runs += 1;
        concurrent += 1;
        most = Math.max(most, concurrent);
        await slow;
        concurrent -= 1;
      },
      5,
      () => undefined,
    );
    task.start();
    expect(runs).toBe(1);
    // Ticks while the first run is held: none starts beside it.
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(runs).toBe(1);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
    expect(most).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toBe(1);
  });

  it('gives an error that escapes the task to onError and goes on', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = new PeriodicTask(
      async () => {
        runs += 1;
        throw new Error(`run ${runs}`);
      },
      5,
      (error) => errors.push(error),
    );
    task.start();
    const until = Date.now() + 2_000;
    while (runs < 3 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    await task.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
    expect((errors[0] as Error).message).toBe('run 1');
  });
});
