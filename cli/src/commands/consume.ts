import { Command } from 'commander';
import { createLogger } from '@sales-pipeline/platform';
import { consume, loadConsumerConfig } from '@sales-pipeline/consumer';
import { envWithStackDefaults } from '../config.ts';
import { stopOnSignals } from '../run-until-signal.ts';

/** `sales-pipeline consume`: apply the topics to PostgreSQL exactly once, until SIGTERM/SIGINT. */
export function consumeCommand(): Command {
  return new Command('consume')
    .description(
      'upsert sales, products and stores from Kafka into PostgreSQL exactly once (runs until stopped)',
    )
    .action(async () => {
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
