/**
 * npm run chaos — 200,000 sales (CHAOS_SALES; CHAOS_BAD_RATIO of them bad, default 0.01) flow from a
 * growing CSV feed through the whole pipeline while the producer, consumer, analytics worker, notifier,
 * Kafka broker, Kafka Connect and PostgreSQL are killed with SIGKILL at random moments (CHAOS_KILLS,
 * default 14, about every CHAOS_INTERVAL_MS, default 10,000) and restarted. Then it checks that the
 * sales table equals the feed's valid lines, rejected_rows its bad lines, that `reconcile` finds no drift
 * and that every milestone was posted exactly once to a fake Slack. Seeded (CHAOS_SEED, printed) so
 * that a failing run can be replayed. Runs on a fresh native stack in `.stack/chaos` (CHAOS_KEEP_STACK=1
 * leaves it running). Exit code 0 only when every check passes.
 */
import path from 'node:path';
import { createLogger } from '@sales-pipeline/platform';
import { REPO_ROOT } from '@sales-pipeline/stack';
import { sizeFromEnv } from './bench-stack.ts';
import { freshStack } from './chaos/stack.ts';
import { seedFromEnv } from './chaos/prng.ts';
import { formatChaosResult } from './chaos/result.ts';
import { runChaos } from './chaos/run.ts';

const seed = seedFromEnv(process.env.CHAOS_SEED);
const sales = sizeFromEnv('CHAOS_SALES', 200_000);
const kills = sizeFromEnv('CHAOS_KILLS', 14);
const intervalMs = sizeFromEnv('CHAOS_INTERVAL_MS', 10_000);
const badRatio = Number(process.env.CHAOS_BAD_RATIO ?? 0.01);
if (!(badRatio >= 0 && badRatio < 1)) throw new Error('CHAOS_BAD_RATIO must be in [0, 1)');
const feedRowsPerSecond = process.env.CHAOS_FEED_RATE ? sizeFromEnv('CHAOS_FEED_RATE', 1) : undefined;
const catchUpTimeoutMs = sizeFromEnv('CHAOS_CATCHUP_TIMEOUT_MS', 900_000);
const print = (line: string) => process.stdout.write(`${line}\n`);

print(`[chaos] CHAOS_SEED=${seed} CHAOS_SALES=${sales} CHAOS_KILLS=${kills} CHAOS_INTERVAL_MS=${intervalMs}`);
const home = path.join(REPO_ROOT, '.stack', 'chaos');
const logger = createLogger('chaos', 'warn');
const started = Date.now();
const { stack, config } = await freshStack(home, logger);
print(`[chaos] fresh stack in ${home} up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
let passed: boolean;
try {
  const result = await runChaos({
    seed,
    sales,
    badRatio,
    kills,
    intervalMs,
    feedRowsPerSecond,
    catchUpTimeoutMs,
    quietMs: 10_000,
    stack,
    stackConfig: config,
    runDir: path.join(home, 'run'),
    logger,
    print,
  });
  print(formatChaosResult(result));
  passed = result.passed;
} finally {
  if (process.env.CHAOS_KEEP_STACK === '1') print(`[chaos] stack left running in ${home}`);
  else await stack.down();
}
process.exit(passed ? 0 : 1);
