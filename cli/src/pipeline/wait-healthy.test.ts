import { describe, expect, it } from 'vitest';
import type { PipelineStatus, WorkerStatus } from './status-types.ts';
import { healthyAndComplete } from './wait-healthy.ts';

const worker = (alive: boolean) => ({ name: 'consumer', alive }) as WorkerStatus;
const status = (healthy: boolean, workers: WorkerStatus[]) => ({ healthy, workers }) as PipelineStatus;

describe('healthyAndComplete', () => {
  it('waits for a healthy pipeline with every planned worker alive', () => {
    expect(healthyAndComplete(status(true, [worker(true), worker(true)]))).toBe(true);
    expect(healthyAndComplete(status(true, [worker(true), worker(false)]))).toBe(false);
    expect(healthyAndComplete(status(true, []))).toBe(false);
    expect(healthyAndComplete(status(false, [worker(true)]))).toBe(false);
  });
});
