import type { Env } from '@sales-pipeline/platform';
import { waitFor, type StackConfig } from '@sales-pipeline/stack';
import { collectStatus, type PipelineStatus } from './pipeline-status.ts';

/** Every worker `up` planned runs and the whole pipeline is healthy. Pure. */
export function healthyAndComplete(status: PipelineStatus): boolean {
  return status.healthy && status.workers.length > 0 && status.workers.every((w) => w.alive);
}

/**
 * Polls the status every second until every worker and component is healthy, or `timeoutMs` has passed:
 * returns the last status either way (the caller reports an unhealthy one). An error reading the status
 * is thrown at once.
 */
export async function waitHealthy(config: StackConfig, env: Env, timeoutMs: number): Promise<PipelineStatus> {
  let last: PipelineStatus | undefined;
  let failure: unknown;
  try {
    return await waitFor(
      'the pipeline',
      async () => {
        last = await collectStatus(config, env, { sampleMs: 0 }).catch((error: unknown) => {
          failure = error;
          throw error;
        });
        return healthyAndComplete(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 1000, isFatal: () => true },
    );
  } catch (error) {
    // waitFor gives up with its own timeout error: the last status is the answer then.
    if (error === failure || last === undefined) throw error;
    return last;
  }
}
