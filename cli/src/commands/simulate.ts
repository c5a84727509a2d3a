import path from 'node:path';
import { Command } from 'commander';
import { CLIENT_DATA_DIR, positiveNumber } from '../options.ts';

/** `sales-pipeline simulate --rate <n> --out <file>`: a live sales feed for demos, tests and benchmarks. */
export function simulateCommand(): Command {
  return new Command('simulate')
    .description(
      'append realistic sales (the reference files’ products and stores, occasional bulk orders) to a feed file at a steady rate',
    )
    .requiredOption('--rate <sales/s>', 'mean sales per second', positiveNumber('--rate'))
    .requiredOption('--out <file>', 'the feed file to append to (created with its header if missing)')
    .option('--products <file>', 'products file', path.join(CLIENT_DATA_DIR, 'produits.csv'))
    .option('--stores <file>', 'stores file', path.join(CLIENT_DATA_DIR, 'magasins.csv'))
    .option('--seed <n>', 'PRNG seed: the same seed gives the same sales', positiveNumber('--seed'))
    .option(
      '--duration <seconds>',
      'stop after this long (default: until Ctrl-C)',
      positiveNumber('--duration'),
    )
    .option('--count <sales>', 'stop after this many sales', positiveNumber('--count'))
    .option(
      '--rhythm',
      'follow a daily and hourly rhythm on a simulated clock (busy lunch hours and Saturdays, quiet nights)',
    )
    .option(
      '--day-seconds <s>',
      'with --rhythm: real seconds per simulated day',
      positiveNumber('--day-seconds'),
      240,
    )
    .action(
      async (options: {
        rate: number;
        out: string;
        products: string;
        stores: string;
        seed?: number;
        duration?: number;
        count?: number;
        rhythm?: boolean;
        daySeconds: number;
      }) => {
        const [{ readReferenceFile, SaleSimulator }, { stopOnSignals }, { simulateFeed }] = await Promise.all(
          [
            import('@sales-pipeline/producer'),
            import('../run-until-signal.ts'),
            import('../simulate-feed.ts'),
          ],
        );
        const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
        const simulator = new SaleSimulator(
          await readReferenceFile('products', options.products),
          await readReferenceFile('stores', options.stores),
          { seed },
        );
        process.stderr.write(
          `simulating ${options.rate} sales/s into ${options.out} (seed ${seed}); Ctrl-C stops\n`,
        );
        const stop = stopOnSignals();
        try {
          const written = await simulateFeed(
            simulator,
            {
              rate: options.rate,
              out: options.out,
              rhythm: options.rhythm ?? false,
              daySeconds: options.daySeconds,
              durationSeconds: options.duration,
              maxSales: options.count,
            },
            stop.signal,
          );
          process.stdout.write(`${written} sales appended to ${options.out}\n`);
        } finally {
          stop.dispose();
        }
      },
    );
}
