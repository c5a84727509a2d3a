import { Command } from 'commander';

/** `sales-pipeline notify`: milestones to Slack, each once (runs until stopped). */
export function notifyCommand(): Command {
  return new Command('notify')
    .description(
      'post sales milestones to Slack, each exactly once (dry run without SLACK_BOT_TOKEN; runs until stopped)',
    )
    .action(async () => {
      const [{ createLogger }, { loadNotifierConfig, notify }, { envWithStackDefaults }, { stopOnSignals }] =
        await Promise.all([
          import('@sales-pipeline/platform'),
          import('@sales-pipeline/notifier'),
          import('../config.ts'),
          import('../run-until-signal.ts'),
        ]);
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
