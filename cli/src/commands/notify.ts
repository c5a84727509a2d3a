import type { Command } from 'commander';
import { workerCommand } from '../worker-command.ts';

/** `sales-pipeline notify`: milestones to Slack, each once (runs until stopped). */
export function notifyCommand(): Command {
  const description =
    'post sales milestones to Slack, each exactly once (dry run without SLACK_BOT_TOKEN; runs until stopped)';
  return workerCommand('notify', description, () => import('@sales-pipeline/notifier'));
}
