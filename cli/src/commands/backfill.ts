import { Command } from 'commander';

/** `sales-pipeline backfill <file|url>`: history through the live pipeline, exactly once. */
export function backfillCommand(): Command {
  return new Command('backfill')
    .description(
      'load history (a finished sales file or URL) through the running pipeline, exactly once: shows progress, ' +
        'yields to live sales, waits until its rows are in sales and the aggregates, then posts its milestones as one ' +
        'Slack summary. Stopped or killed, the same command resumes it',
    )
    .argument('[file|url]', 'the history, in the sales feed format')
    .option('--feed-id <id>', 'identity of the history feed, part of every sale id (default: the file name)')
    .option(
      '--abandon <feed>',
      'close the open backfill of this feed without loading more: the milestones it held are posted as its summary',
    )
    .action(
      async (
        location: string | undefined,
        options: { feedId?: string; abandon?: string },
        command: Command,
      ) => {
        if ((location === undefined) === (options.abandon === undefined))
          command.error('error: give the history (<file|url>) or --abandon <feed>, one of them', {
            exitCode: 2,
          });
        const [
          { runWorker },
          { loadProducerConfig },
          { loadBackfillConfig },
          { abandonBackfill, runBackfill },
          { envWithStackDefaults },
        ] = await Promise.all([
          import('@sales-pipeline/platform'),
          import('@sales-pipeline/producer'),
          import('../backfill/config.ts'),
          import('../backfill/run-backfill.ts'),
          import('../config.ts'),
        ]);
        const env = await envWithStackDefaults();
        const wait = loadBackfillConfig(env);
        if (options.abandon !== undefined) {
          const feed = options.abandon;
          const closed = await runWorker('backfill', wait, (_, logger) =>
            abandonBackfill(feed, wait, logger),
          );
          process.stdout.write(
            closed
              ? `${JSON.stringify(feed)}: backfill closed; ${closed.sales.toLocaleString('en')} sales in the database; ${closed.milestones} held milestone(s) posted as one summary\n`
              : `${JSON.stringify(feed)}: no backfill of this feed is open\n`,
          );
          return;
        }
        const config = { producer: loadProducerConfig(env), wait };
        const tty = process.stderr.isTTY ? process.stderr : undefined;
        const result = await runWorker('backfill', config.producer, (_, logger, stop) =>
          runBackfill({ location: location as string, feedId: options.feedId, tty }, config, logger, stop),
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
            `${result.sales.toLocaleString('en')} rows of the feed in the database, in the aggregates ${seconds(result.catchUpMs)} s later; ` +
            `${result.milestones} milestone(s) held, posted as one summary\n`,
        );
      },
    );
}
