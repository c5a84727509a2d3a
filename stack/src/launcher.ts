import { StackError, type Logger } from '@sales-pipeline/platform';
import type { StackConfig } from './config.ts';
import { nativeUp } from './native-stack.ts';
import type { RunningStack } from './types.ts';

/**
 * The one entry point of the launcher: the native processes by default, containers when `docker` is
 * asked for (and an engine answers). Both return the same {@link RunningStack}.
 */
export async function startStack(
  config: StackConfig,
  logger: Logger,
  options: { docker?: boolean } = {},
): Promise<RunningStack> {
  if (!options.docker) return nativeUp(config, logger);
  // testcontainers (and its Docker client) is loaded only on the Docker path.
  const { dockerAvailable, dockerUp } = await import('./docker-stack.ts');
  if (!(await dockerAvailable())) {
    throw new StackError('--docker was given but no Docker engine answers', {
      hint: 'Start Docker (or set DOCKER_HOST), or leave out --docker to run the native stack.',
    });
  }
  return dockerUp(logger, config.startTimeoutMs);
}
