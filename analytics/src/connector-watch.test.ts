import { describe, expect, it } from 'vitest';
import { watchAction, type ConnectorStatus } from './connector-watch.ts';
import { connectorWatchTarget } from './config.ts';

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
    expect(watchAction(running, { failures: 0, lastRestartAt: 0 }, 1_000, options)).toEqual({
      type: 'none',
      settled: true,
    });
    expect(
      watchAction(
        { state: 'RUNNING', tasks: [{ id: 0, state: 'RESTARTING' }] },
        { failures: 2, lastRestartAt: 0 },
        0,
        options,
      ),
    ).toEqual({ type: 'none', settled: false });
  });

  it('starts the back-off again only once the connector has run for the current wait', () => {
    const at = 1_000_000;
    // Restarted twice: the wait is 30 s. Running 10 s after: not settled (a failure now waits 30 s).
    expect(watchAction(running, { failures: 2, lastRestartAt: at }, at + 10_000, options)).toEqual({
      type: 'none',
      settled: false,
    });
    expect(watchAction(taskFailed, { failures: 2, lastRestartAt: at }, at + 20_000, options).type).toBe(
      'wait',
    );
    // Running for the whole wait: settled, the next failure is restarted at once.
    expect(watchAction(running, { failures: 2, lastRestartAt: at }, at + 30_000, options)).toEqual({
      type: 'none',
      settled: true,
    });
    // A connector with no task yet is not running.
    expect(
      watchAction({ state: 'RUNNING', tasks: [] }, { failures: 0, lastRestartAt: 0 }, 0, options),
    ).toEqual({
      type: 'none',
      settled: false,
    });
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

describe('connectorWatchTarget', () => {
  it('takes a login out of the URL, so that it is never logged with it', () => {
    expect(connectorWatchTarget('http://ops:s%40cret@connect:8083/', {})).toEqual({
      url: 'http://connect:8083',
      auth: { username: 'ops', password: 's@cret' },
    });
    expect(connectorWatchTarget('http://connect:8083', {})).toEqual({
      url: 'http://connect:8083',
      auth: undefined,
    });
  });

  it('prefers CONNECT_USERNAME / CONNECT_PASSWORD, and turns a misconfigured login into a problem, not a refusal to start', () => {
    expect(
      connectorWatchTarget('http://connect:8083', { CONNECT_USERNAME: 'u', CONNECT_PASSWORD: 'p' }),
    ).toEqual({ url: 'http://connect:8083', auth: { username: 'u', password: 'p' } });
    const target = connectorWatchTarget('http://connect:8083', { CONNECT_PASSWORD: 'p' });
    expect(target).toMatchObject({ url: 'http://connect:8083' });
    expect('problem' in target && target.problem).toContain('CONNECT_USERNAME');
    expect(JSON.stringify(target)).not.toContain('"p"');
  });
});
