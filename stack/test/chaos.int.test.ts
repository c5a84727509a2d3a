import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@sales-pipeline/platform';
import {
  REPO_ROOT,
  loadStackConfig,
  nativeDown,
  type RunningStack,
  type StackConfig,
} from '@sales-pipeline/stack';
import { ALL_TARGETS } from '../../bench/chaos/killer.ts';
import { seedFromEnv } from '../../bench/chaos/prng.ts';
import { formatChaosResult, runChaos } from '../../bench/chaos/run.ts';
import { freshStack } from '../../bench/chaos/stack.ts';

/**
 * The chaos run at CI size (`npm run chaos` is the full one): 5,000 lines, every kind of kill at least
 * once. A stack of its own, since it kills the broker and PostgreSQL. CHAOS_SEED replays a failure.
 */
const home = path.join(REPO_ROOT, '.stack', 'test-chaos');
const logger = createLogger('test-chaos', 'warn');
let stack: RunningStack;
let config: StackConfig;

beforeAll(async () => {
  ({ stack, config } = await freshStack(home, logger));
}, 600_000);

afterAll(async () => {
  // also when the stack did not finish starting: stop whatever did start
  await nativeDown(loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: home }), logger);
  fs.rmSync(home, { recursive: true, force: true });
}, 120_000);

describe('chaos: kill -9 of every component while a feed flows', () => {
  it('loses nothing, duplicates nothing, drifts nothing and posts every milestone once', async () => {
    const seed = seedFromEnv(process.env.CHAOS_SEED);
    const result = await runChaos({
      seed,
      sales: 5_000,
      badRatio: 0.01,
      kills: ALL_TARGETS.length,
      intervalMs: 2_000,
      feedRowsPerSecond: 250,
      catchUpTimeoutMs: 300_000,
      quietMs: 5_000,
      stack,
      stackConfig: config,
      runDir: path.join(home, 'run'),
      logger,
      print: (line) => process.stderr.write(`${line}\n`),
    });
    process.stderr.write(`${formatChaosResult(result)}\n`);
    const killed = new Set(result.timeline.filter((t) => t.action === 'kill -9').map((t) => t.target));
    expect([...killed].sort()).toEqual([...ALL_TARGETS].sort());
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  }, 600_000);
});
