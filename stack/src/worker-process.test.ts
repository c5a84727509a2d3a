import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKER_MALLOC_ENV, workerNodeFlags } from '@sales-pipeline/platform/worker-runtime';
import { childExited, keepOutput, spawnWorker } from './worker-process.ts';

/** Starts a script as a worker is started, and returns what it printed of its environment. */
async function workerEnvironment(
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<{ env: Record<string, string>; execArgv: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-process-'));
  const bin = path.join(dir, 'print-env.js');
  fs.writeFileSync(
    bin,
    'process.stdout.write(JSON.stringify({ env: process.env, execArgv: process.execArgv }));\n',
  );
  try {
    const child = spawnWorker(args, { env, bin });
    const output = keepOutput(child);
    await childExited(child);
    return JSON.parse(output()) as { env: Record<string, string>; execArgv: string[] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('spawnWorker', () => {
  it("starts a worker with glibc's allocator thresholds, unless its environment sets them", async () => {
    const given = await workerEnvironment({ PATH: process.env.PATH, SOME_SETTING: 'x' });
    expect(given.env).toMatchObject({ ...WORKER_MALLOC_ENV, SOME_SETTING: 'x' });

    const own = await workerEnvironment({ PATH: process.env.PATH, MALLOC_TRIM_THRESHOLD_: '0' });
    expect(own.env.MALLOC_TRIM_THRESHOLD_).toBe('0');
    expect(own.env.MALLOC_MMAP_THRESHOLD_).toBe(WORKER_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
  });

  it("starts each worker command with its own Node flags (the ingest server's smaller old space)", async () => {
    const ingest = await workerEnvironment({ PATH: process.env.PATH }, ['ingest']);
    expect(ingest.execArgv).toEqual([...workerNodeFlags('ingest')]);
    expect(ingest.execArgv).toContain('--max-old-space-size=40');
    const consume = await workerEnvironment({ PATH: process.env.PATH }, ['consume']);
    expect(consume.execArgv).toContain('--max-old-space-size=64');
  });
});
