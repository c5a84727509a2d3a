import fs from 'node:fs';
import type { Logger } from '@sales-pipeline/platform';
import {
  loadStackConfig,
  nativeDown,
  startStack,
  type RunningStack,
  type StackConfig,
} from '@sales-pipeline/stack';

/**
 * A fresh native stack in `home` (stopped and emptied first): a chaos run kills its broker and its
 * database, so it never shares a stack with anything else.
 */
export async function freshStack(
  home: string,
  logger: Logger,
): Promise<{ stack: RunningStack; config: StackConfig }> {
  const config = loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: home });
  await nativeDown(config, logger);
  fs.rmSync(home, { recursive: true, force: true });
  return { stack: await startStack(config, logger), config };
}
