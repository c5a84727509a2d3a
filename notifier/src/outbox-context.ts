import type { Counter, Gauge } from 'prom-client';
import type { Logger, Pool } from '@sales-pipeline/platform';
import type { NotifierConfig } from './config.ts';
import type { SlackSender } from './slack-sender.ts';

/** What /healthz and the logs say about Slack. */
export interface NotifierStatus {
  slack: 'ok' | 'dry_run' | 'configuration_error' | 'unavailable';
  lastError?: string;
  hint?: string;
}

export interface OutboxMetrics {
  /** Slack calls by outcome. */
  posts: Counter<'outcome'>;
  /** Milestones marked sent, by how: `single`, `digest`, `dry_run`. */
  sent: Counter<'via'>;
  /** Milestones waiting to be posted. */
  pending: Gauge;
  /** Age of the oldest milestone waiting, seconds. */
  oldestPendingSeconds: Gauge;
}

/** What the send loop and the delivery of one post share. */
export interface OutboxContext {
  pool: Pool;
  /** Undefined in a dry run (no Slack token): milestones are logged and marked sent, not posted. */
  sender: SlackSender | undefined;
  config: NotifierConfig;
  log: Logger;
  stop: AbortSignal;
  /** Updated as Slack answers. */
  status: NotifierStatus;
  metrics: OutboxMetrics;
  /** Sleeps, waking early on stop. */
  pause(ms: number): Promise<void>;
}
