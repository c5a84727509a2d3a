import { Command } from 'commander';

/** `sales-pipeline backfill <file|url>`: history through the live pipeline, exactly once. */
export function backfillCommand(): Command {
  return new Command('backfill')
    .description(
      'load history (a finished sales file or URL) through the running pipeline, exactly once: shows progress, ' +
        'waits until its rows are in sales and the aggregates, then posts its milestones as one Slack summary. ' +
        'Stopped or killed, the same command resumes it',
    )
    .argument('<file|url>', 'the history, in the sales feed format')
    .option('--feed-id <id>', 'identity of the history feed, part of every sale id (default: the file name)')
    .action(async (location: string, options: { feedId?: string }) => {
      const [
        { runWorker },
        { loadProducerConfig },
        { loadBackfillConfig },
        { runBackfill },
        { envWithStackDefaults },
      ] = await Promise.all([
        import('@sales-pipeline/platform'),
        import('@sales-pipeline/producer'),
        import('../backfill/config.ts'),
        import('../backfill/run-backfill.ts'),
        import('../config.ts'),
      ]);
      const env = await envWithStackDefaults();
      const config = { producer: loadProducerConfig(env), wait: loadBackfillConfig(env) };
      const tty = process.stderr.isTTY ? process.stderr : undefined;
      const result = await runWorker('backfill', config.producer, (_, logger, stop) =>
        runBackfill({ location, feedId: options.feedId, tty }, config, logger, stop),
      );
      if (!result) {
        process.stderr.write(
          'backfill stopped before it finished: run the same command again to resume it\n',
        );
        process.exitCode = 130;
        return;
      }
      const p = result.published;
      const seconds = (ms: number) => (ms / 1000).toFixed(1);
      process.stdout.write(
        `${result.feed}: ${result.resumed ? 'resumed; ' : ''}${p.rows.toLocaleString('en')} rows published, ` +
          `${p.deadLetters.toLocaleString('en')} rejected this run, in ${seconds(result.publishMs)} s; ` +
          `${result.sales.toLocaleString('en')} sales in the database and the aggregates ${seconds(result.catchUpMs)} s later; ` +
          `${result.milestones} milestone(s) crossed, posted as one summary\n`,
      );
    });
}
