import { Command } from 'commander';

/** `sales-pipeline down [--purge]`. */
export function downCommand(): Command {
  return new Command('down')
    .description('stop the pipeline started by up (workers in order, then the stack); the data stays')
    .option('--purge', 'also delete the state: databases, topics, demo feeds and logs (SALES_PIPELINE_HOME)')
    .action(async (options: { purge?: boolean }) => {
      const { runDown } = await import('../pipeline/run-up.ts');
      await runDown(options);
    });
}
