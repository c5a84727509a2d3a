import type { Command } from 'commander';
import { workerCommand } from '../worker-command.ts';

/** `sales-pipeline consume`: apply the topics to PostgreSQL exactly once, until SIGTERM/SIGINT. */
export function consumeCommand(): Command {
  const description =
    'upsert sales, products and stores from Kafka into PostgreSQL exactly once (runs until stopped)';
  return workerCommand('consume', description, () => import('@sales-pipeline/consumer'));
}
