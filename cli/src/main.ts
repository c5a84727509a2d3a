import { Command, CommanderError } from 'commander';
import { ConfigError, describeError, PipelineError } from '@sales-pipeline/platform/errors';
import { analyticsCommand, reconcileCommand, reportCommand } from './commands/analytics.ts';
import { consumeCommand } from './commands/consume.ts';
import { dlqCommand } from './commands/dlq.ts';
import { migrateCommand } from './commands/migrate.ts';
import { notifyCommand } from './commands/notify.ts';
import { produceCommand } from './commands/produce.ts';
import { simulateCommand } from './commands/simulate.ts';
import { stackCommand } from './commands/stack.ts';
import { upCommands } from './commands/up.ts';
import { downCommand } from './commands/down.ts';
import { statusCommand } from './commands/status.ts';

/** Builds the `sales-pipeline` command tree. */
export function buildProgram(): Command {
  const program = new Command('sales-pipeline')
    .description('Real-time sales pipeline with change data capture')
    .exitOverride()
    .showHelpAfterError()
    .addCommand(stackCommand())
    .addCommand(migrateCommand())
    .addCommand(produceCommand())
    .addCommand(consumeCommand())
    .addCommand(analyticsCommand())
    .addCommand(reportCommand())
    .addCommand(reconcileCommand())
    .addCommand(notifyCommand())
    .addCommand(simulateCommand())
    .addCommand(dlqCommand());
  for (const command of upCommands())
    program.addCommand(command, command.name() === 'supervise' ? { hidden: true } : {});
  program.addCommand(downCommand()).addCommand(statusCommand());
  return program;
}

/**
 * Runs the command line and returns the exit code. Our own errors print their message and what to do,
 * never a stack trace: 2 for a configuration error, 1 otherwise.
 */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`sales-pipeline: ${describeError(error)}\n`);
    if (error instanceof ConfigError) return 2;
    if (!(error instanceof PipelineError) && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    return 1;
  }
}
