import { Command } from 'commander';

/** `sales-pipeline produce`: tail the feeds into Kafka, exactly once. */
export function produceCommand(): Command {
  return new Command('produce')
    .description(
      'publish the sales feed (and the products/stores files) to Kafka exactly once; bad rows to the dead-letter topic',
    )
    .option('--sales <file|url>', 'the sales feed (CSV)')
    .option('--products <file|url>', 'the products reference file (CSV)')
    .option('--stores <file|url>', 'the stores reference file (CSV)')
    .option('--follow', 'keep following the feeds (like tail -F); without it, publish what is there and exit')
    .option('--feed-id <id>', 'identity of the sales feed, part of every sale id (default: the file name)')
    .option(
      '--snapshot',
      'read the sales file as a snapshot: each change is a complete new version (corrections, cancellations, inserts anywhere); default: SALES_FEED_MODE',
    )
    .action(
      async (options: {
        sales?: string;
        products?: string;
        stores?: string;
        follow?: boolean;
        feedId?: string;
        snapshot?: boolean;
      }) => {
        const [{ runWorker }, { loadProducerConfig, produce }, { envWithStackDefaults }] = await Promise.all([
          import('@sales-pipeline/platform'),
          import('@sales-pipeline/producer'),
          import('../config.ts'),
        ]);
        const feeds = {
          sales: options.sales,
          products: options.products,
          stores: options.stores,
          follow: options.follow ?? false,
          salesFeedId: options.feedId,
          snapshot: options.snapshot,
          tty: process.stderr.isTTY ? process.stderr : undefined,
        };
        await runWorker(
          'producer',
          loadProducerConfig(await envWithStackDefaults()),
          async (config, logger, stop) => {
            for (const r of await produce(feeds, config, logger, stop)) {
              const lines = r.rows + r.deadLetters + r.headers;
              process.stdout.write(
                `${r.feed} (${r.kind}): ${r.rows} published, ${r.deadLetters} dead-lettered, ${r.headers} header line(s) — ${lines} lines this run` +
                  (r.rewrites ? `, ${r.rewrites} source rewrite(s) reported` : '') +
                  (r.versions
                    ? `; ${r.versions} version(s): ${r.newSales} new sale(s), ${r.amendments} amendment(s), ${r.cancellations} cancellation(s)`
                    : '') +
                  (r.held
                    ? `; ${r.held} version(s) held back (see sales-pipeline status; feed accept ${r.feed})`
                    : '') +
                  '\n',
              );
            }
          },
        );
      },
    );
}
