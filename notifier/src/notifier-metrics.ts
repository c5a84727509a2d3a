import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { OutboxMetrics } from './post-outbox.ts';

/**
 * The notifier's Prometheus metrics, registered in `registry`: `recorded` (milestones recorded in the
 * outbox, the rate /healthz reports), `lineToMilestone` (from the earliest feed line behind a milestone to
 * the milestone recorded) and the send loop's `outbox` metrics.
 */
export function notifierMetrics(registry: Registry) {
  const registers = [registry];
  const recorded = new Counter({
    name: 'notifier_milestones_recorded_total',
    help: 'Milestones recorded in the outbox',
    registers,
  });
  const outbox: OutboxMetrics = {
    posts: new Counter({
      name: 'notifier_slack_posts_total',
      help: 'Slack posts by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    sent: new Counter({
      name: 'notifier_milestones_sent_total',
      help: 'Milestones marked sent, by how: single (a message of its own), digest, dry_run',
      labelNames: ['via'],
      registers,
    }),
    pending: new Gauge({
      name: 'notifier_outbox_pending',
      help: 'Milestones in the outbox waiting to be posted (kept bounded by digests)',
      registers,
    }),
    oldestPendingSeconds: new Gauge({
      name: 'notifier_outbox_oldest_pending_seconds',
      help: 'Age of the oldest milestone waiting to be posted',
      registers,
    }),
  };
  const lineToMilestone = new Histogram({
    name: 'notifier_line_to_milestone_seconds',
    help: 'From the earliest feed line behind a milestone seen by the producer to the milestone recorded',
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10],
    registers,
  });
  return { recorded, outbox, lineToMilestone };
}
