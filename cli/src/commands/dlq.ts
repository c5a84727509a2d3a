import { Command } from 'commander';
import { positiveNumber } from '../options.ts';

/** `sales-pipeline dlq list | replay`. */
export function dlqCommand(): Command {
  const dlq = new Command('dlq').description(
    'the dead letters: rejected rows with their reasons, and sales pending a product or store',
  );

  dlq
    .command('list')
    .description('show the rejected rows (newest first) and the pending sales grouped by what they lack')
    .option('--json', 'print as JSON')
    .option('--limit <n>', 'at most this many rows of each', positiveNumber('--limit'), 50)
    .action(async (options: { json?: boolean; limit: number }) => {
      const { listDeadLetters } = await import('../dlq/dead-letters.ts');
      await listDeadLetters(options.limit, options.json ?? false);
    });

  dlq
    .command('replay')
    .description(
      'after fixing the cause: complete the pending sales whose product and store are now known, and re-send ' +
        'the messages the consumer refused to their topics (each once); sale ids make both idempotent',
    )
    .action(async () => {
      const { replayDeadLetters } = await import('../dlq/dead-letters.ts');
      await replayDeadLetters();
    });

  return dlq;
}
