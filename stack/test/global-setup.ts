import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '@sales-pipeline/platform';
import { loadStackConfig, REPO_ROOT, startStack, type RunningStack } from '@sales-pipeline/stack';

/**
 * The test run's own stack home, apart from the one a developer uses. Fresh for every run.
 * SALES_PIPELINE_TEST_HOME lets two test runs on one machine keep out of each other's way.
 */
export const TEST_STACK_HOME = process.env.SALES_PIPELINE_TEST_HOME ?? path.join(REPO_ROOT, '.stack', 'test');

declare module 'vitest' {
  export interface ProvidedContext {
    stack: {
      home: string;
      endpoints: RunningStack['endpoints'];
      secrets: RunningStack['secrets'];
    };
  }
}

let running: RunningStack | undefined;

export async function setup(project: TestProject): Promise<void> {
  fs.rmSync(TEST_STACK_HOME, { recursive: true, force: true });
  const config = loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: TEST_STACK_HOME });
  const logger = createLogger('test-stack', 'warn');
  const started = Date.now();
  running = await startStack(config, logger, { docker: process.env.SALES_PIPELINE_TEST_DOCKER === '1' });
  process.stderr.write(
    `test stack (${running.mode}) up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  project.provide('stack', { home: TEST_STACK_HOME, endpoints: running.endpoints, secrets: running.secrets });
}

export async function teardown(): Promise<void> {
  await running?.down();
}
