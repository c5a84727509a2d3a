import { Command } from 'commander';
import { createLogger } from '@sales-pipeline/platform';
import { loadNotifierConfig, notify } from '@sales-pipeline/notifier';
import { envWithStackDefaults } from '../config.ts';
import { stopOnSignals } from '../run-until-signal.ts';

/** `sales-pipeline notify`: milestones to Slack, each once (runs until stopped). */
export function notifyCommand(): Command {
  return new Command('notify')
    .description(
      'post sales milestones to Slack, each exactly once (dry run without SLACK_BOT_TOKEN; runs until stopped)',
    )
    .action(async () => {
      const config = loadNotifierConfig(await envWithStackDefaults());
      const logger = createLogger('notifier', config.LOG_LEVEL);
      const stop = stopOnSignals();
      try {
        await notify(config, logger, stop.signal);
      } finally {
        stop.dispose();
      }
    });
}
