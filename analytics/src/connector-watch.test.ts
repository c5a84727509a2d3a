import { describe, expect, it } from 'vitest';
import { watchAction, type ConnectorStatus } from './connector-watch.ts';

const options = { intervalMs: 15_000, maxBackoffMs: 300_000 };
const running: ConnectorStatus = { state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }] };
const taskFailed: ConnectorStatus = {
  state: 'RUNNING',
  tasks: [
    {
      id: 0,
      state: 'FAILED',
      trace: 'io.debezium.DebeziumException: Failed to create TypeRegistry\n\tat io.debezium…',
    },
  ],
};

describe('watchAction', () => {
  it('leaves a running connector alone', () => {
    expect(watchAction(running, { failures: 0, lastRestartAt: 0 }, 1_000, options)).toEqual({ type: 'none' });
    expect(
      watchAction(
        { state: 'RUNNING', tasks: [{ id: 0, state: 'RESTARTING' }] },
        { failures: 2, lastRestartAt: 0 },
        0,
        options,
      ),
    ).toEqual({ type: 'none' });
  });

  it('restarts a FAILED task at once the first time, naming the first line of its trace', () => {
    expect(watchAction(taskFailed, { failures: 0, lastRestartAt: 0 }, 1_000, options)).toEqual({
      type: 'restart',
      trace: 'io.debezium.DebeziumException: Failed to create TypeRegistry',
    });
    expect(
      watchAction({ state: 'FAILED', tasks: [] }, { failures: 0, lastRestartAt: 0 }, 1_000, options),
    ).toEqual({
      type: 'restart',
      trace: 'connector FAILED',
    });
  });

  it('waits twice as long after each restart that failed again, up to the cap', () => {
    const at = 1_000_000;
    expect(watchAction(taskFailed, { failures: 1, lastRestartAt: at }, at + 14_999, options)).toMatchObject({
      type: 'wait',
      untilMs: at + 15_000,
    });
    expect(watchAction(taskFailed, { failures: 1, lastRestartAt: at }, at + 15_000, options).type).toBe(
      'restart',
    );
    expect(watchAction(taskFailed, { failures: 3, lastRestartAt: at }, at + 59_999, options).type).toBe(
      'wait',
    );
    expect(watchAction(taskFailed, { failures: 3, lastRestartAt: at }, at + 60_000, options).type).toBe(
      'restart',
    );
    expect(watchAction(taskFailed, { failures: 20, lastRestartAt: at }, at + 300_000, options).type).toBe(
      'restart',
    );
  });
});
