import type { Command } from 'commander';
import { workerCommand } from '../worker-command.ts';

/** `sales-pipeline ingest`: the HTTP ingest server, until SIGTERM/SIGINT. */
export function ingestCommand(): Command {
  const description =
    'serve POST /v1/sales: sales pushed over HTTP, each committed in Kafka exactly once before it is acknowledged (runs until stopped)';
  return workerCommand('ingest', description, async () => ({
    worker: (await import('@sales-pipeline/producer')).ingestWorker,
  }));
}
