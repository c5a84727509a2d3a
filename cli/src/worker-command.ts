import { Command } from 'commander';
import type { WorkerConfigBase, WorkerEntry } from '@sales-pipeline/platform';

/**
 * A command that runs one worker until SIGTERM/SIGINT: the `worker` its package exports (see WorkerEntry),
 * through the platform's runWorker, with its config read from the environment (a running native stack's
 * endpoints filled in). The package is loaded (`load`) when the command runs, so that `--help` and the
 * other commands never load it.
 */
export function workerCommand<C extends WorkerConfigBase>(
  name: string,
  description: string,
  load: () => Promise<{ worker: WorkerEntry<C> }>,
): Command {
  return new Command(name).description(description).action(async () => {
    const [{ runWorker }, { worker }, { envWithStackDefaults }] = await Promise.all([
      import('@sales-pipeline/platform'),
      load(),
      import('./config.ts'),
    ]);
    await runWorker(worker.service, worker.loadConfig(await envWithStackDefaults()), worker.run);
  });
}
