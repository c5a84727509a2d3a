import { Command } from 'commander';

/** `sales-pipeline consume`: apply the topics to PostgreSQL exactly once, until SIGTERM/SIGINT. */
export function consumeCommand(): Command {
  return new Command('consume')
    .description(
      'upsert sales, products and stores from Kafka into PostgreSQL exactly once (runs until stopped)',
    )
    .action(async () => {
      // Loaded when the command runs, so that `--help` and other commands never load the consumer.
      const [{ createLogger }, { consume, loadConsumerConfig }, { envWithStackDefaults }, { stopOnSignals }] =
        await Promise.all([
          import('@sales-pipeline/platform'),
          import('@sales-pipeline/consumer'),
          import('../config.ts'),
          import('../run-until-signal.ts'),
        ]);
      const config = loadConsumerConfig(await envWithStackDefaults());
      const logger = createLogger('consumer', config.LOG_LEVEL);
      const stop = stopOnSignals();
      try {
        const totals = await consume(config, logger, stop.signal);
        logger.info({ ...totals }, 'consumer stopped');
      } finally {
        stop.dispose();
      }
    });
}
