import path from 'node:path';
import { REPO_ROOT } from '@sales-pipeline/stack';

/**
 * A home of its own for a test that runs `up`: a stack and a pipeline apart from the shared test stack,
 * under `.stack/<name>`.
 */
export function ownPipelineHome(name: string): string {
  return path.join(REPO_ROOT, '.stack', name);
}

/**
 * Exactly the environment of the `sales-pipeline` commands on the pipeline under `home`: the jar cache
 * and the stack's start timeout passed through, quiet logs, and `extra`.
 */
export function ownPipelineEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SALES_PIPELINE_HOME: home,
    SALES_PIPELINE_CACHE: process.env.SALES_PIPELINE_CACHE,
    STACK_START_TIMEOUT_MS: process.env.STACK_START_TIMEOUT_MS,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}
