import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKER_MALLOC_ENV } from '@sales-pipeline/platform/worker-runtime';
import { childExited, keepOutput, spawnWorker } from './worker-process.ts';

/** Starts a script as a worker is started, and returns what it printed of its environment. */
async function workerEnvironment(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-process-'));
  const bin = path.join(dir, 'print-env.js');
  fs.writeFileSync(bin, 'process.stdout.write(JSON.stringify(process.env));\n');
  try {
    const child = spawnWorker([], { env, bin });
    const output = keepOutput(child);
    await childExited(child);
    return JSON.parse(output()) as Record<string, string>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('spawnWorker', () => {
  it("starts a worker with glibc's allocator thresholds, unless its environment sets them", async () => {
    const given = await workerEnvironment({ PATH: process.env.PATH, SOME_SETTING: 'x' });
    expect(given).toMatchObject({ ...WORKER_MALLOC_ENV, SOME_SETTING: 'x' });

    const own = await workerEnvironment({ PATH: process.env.PATH, MALLOC_TRIM_THRESHOLD_: '0' });
    expect(own.MALLOC_TRIM_THRESHOLD_).toBe('0');
    expect(own.MALLOC_MMAP_THRESHOLD_).toBe(WORKER_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
  });
});
