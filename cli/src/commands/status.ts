import { Command } from 'commander';
import { positiveNumber } from '../options.ts';

/** `sales-pipeline status [--json]`. */
export function statusCommand(): Command {
  return new Command('status')
    .description(
      "every component's health, the endpoints, lag per consumer group, the connector and its slot's lag, rates, last errors",
    )
    .option('--json', 'print as JSON')
    .option('--sample <ms>', 'interval over which rates are measured', positiveNumber('--sample'), 500)
    .action(async (options: { json?: boolean; sample: number }) => {
      const { showStatus } = await import('../pipeline/run-up.ts');
      await showStatus(options);
    });
}
