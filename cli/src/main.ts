import { Command, CommanderError } from 'commander';
import { ConfigError, describeError, PipelineError } from '@sales-pipeline/platform/errors';
import { analyticsCommand, reconcileCommand, reportCommand } from './commands/analytics.ts';
import { consumeCommand } from './commands/consume.ts';
import { dlqCommand } from './commands/dlq.ts';
import { migrateCommand } from './commands/migrate.ts';
import { notifyCommand } from './commands/notify.ts';
import { produceCommand } from './commands/produce.ts';
import { backfillCommand } from './commands/backfill.ts';
import { simulateCommand } from './commands/simulate.ts';
import { stackCommand } from './commands/stack.ts';
import { upCommands } from './commands/up.ts';
import { downCommand } from './commands/down.ts';
import { statusCommand } from './commands/status.ts';
import { dashboardCommand } from './commands/dashboard.ts';
import { feedCommand } from './commands/feed.ts';
import { connectorCommand } from './commands/connector.ts';
import { ingestCommand } from './commands/ingest.ts';
import { exitCodesHelp } from './options.ts';

/** Builds the `sales-pipeline` command tree. */
export function buildProgram(): Command {
  const program = new Command('sales-pipeline')
    .description('Real-time sales pipeline with change data capture')
    .exitOverride()
    .showHelpAfterError()
    .enablePositionalOptions()
    .addCommand(stackCommand())
    .addCommand(migrateCommand())
    .addCommand(connectorCommand())
    .addCommand(produceCommand())
    .addCommand(backfillCommand())
    .addCommand(ingestCommand())
    .addCommand(consumeCommand())
    .addCommand(analyticsCommand())
    .addCommand(reportCommand())
    .addCommand(reconcileCommand())
    .addCommand(notifyCommand())
    .addCommand(simulateCommand())
    .addCommand(dlqCommand())
    .addCommand(feedCommand());
  for (const command of upCommands())
    program.addCommand(command, command.name() === 'supervise' ? { hidden: true } : {});
  program.addCommand(downCommand()).addCommand(statusCommand()).addCommand(dashboardCommand());
  program.addHelpText('after', exitCodesHelp(''));
  // Every command, not only the root, reports its usage errors to main() (exitOverride) rather than
  // exiting by itself, and lists its exit codes in its help.
  for (const command of program.commands) {
    command.exitOverride().addHelpText('after', exitCodesHelp(command.name()));
    for (const sub of command.commands)
      sub.exitOverride().addHelpText('after', exitCodesHelp(`${command.name()} ${sub.name()}`));
  }
  return program;
}

/**
 * Runs the command line and returns the exit code. Our own errors print their message and what to do,
 * never a stack trace: 2 for a configuration error, 1 otherwise.
 */
export async function main(argv: string[]): Promise<number> {
  // A reader that closed the pipe (`sales-pipeline report --json | head`) ends the command quietly, with
  // the exit code of a Unix tool killed by SIGPIPE, rather than an unhandled EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(141);
    throw error;
  });
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    // Commander has printed the help or the usage error already; a usage error exits 2, like any
    // wrong configuration (commander's own default is 1).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`sales-pipeline: ${describeError(error)}\n`);
    if (error instanceof ConfigError) return 2;
    if (!(error instanceof PipelineError) && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    return 1;
  }
}
