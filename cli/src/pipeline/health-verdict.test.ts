import { describe, expect, it } from 'vitest';
import { pipelineHealthy, workerStatus } from './health-verdict.ts';

const record = {
  name: 'consumer' as const,
  pid: 42,
  metricsPort: 9400,
  logFile: 'c.log',
  startedAt: '',
  restarts: 1,
};

describe('workerStatus', () => {
  it('takes the rate the worker reports over a sampled one, rounded to a tenth', () => {
    const health = {
      alive: true,
      answer: { status: 200, text: '{"ok":true,"ratePerSecond":12.345}' },
      rate: 12.345,
    };
    expect(workerStatus(record, health, 99, null)).toMatchObject({
      pid: 42,
      healthy: true,
      ratePerSecond: 12.3,
    });
  });

  it('is not healthy when its /healthz does not answer 200, and has no pid once dead', () => {
    expect(
      workerStatus(record, { alive: false, answer: undefined, rate: undefined }, undefined, null),
    ).toMatchObject({ pid: null, alive: false, healthy: false, ratePerSecond: null });
  });
});

describe('pipelineHealthy', () => {
  it('needs the stack, every worker, the connector and the supervisor', () => {
    const worker = workerStatus(
      record,
      { alive: true, answer: { status: 200, text: '{}' }, rate: 1 },
      undefined,
      null,
    );
    const connector = { name: 'c', state: 'RUNNING', tasks: [] };
    const supervisor = { pid: 1, alive: true, demo: false, startedAt: '' };
    expect(pipelineHealthy({ healthy: true }, [worker], connector, supervisor)).toBe(true);
    expect(pipelineHealthy({ healthy: true }, [worker], null, null)).toBe(true);
    expect(pipelineHealthy({ healthy: false }, [worker], connector, supervisor)).toBe(false);
    expect(pipelineHealthy({ healthy: true }, [{ ...worker, failed: 'x' }], connector, supervisor)).toBe(
      false,
    );
    expect(pipelineHealthy({ healthy: true }, [worker], { ...connector, state: 'FAILED' }, supervisor)).toBe(
      false,
    );
    // A FAILED task leaves its connector RUNNING: the change stream has stopped all the same.
    const taskFailed = { ...connector, tasks: [{ id: 0, state: 'FAILED' }] };
    expect(pipelineHealthy({ healthy: true }, [worker], taskFailed, supervisor)).toBe(false);
    expect(pipelineHealthy({ healthy: true }, [worker], connector, { ...supervisor, alive: false })).toBe(
      false,
    );
  });
});
