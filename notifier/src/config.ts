import { z } from 'zod';
import { cdcWorkerSchema, parseConfig, sessionTimeoutMsSchema, type Env } from '@sales-pipeline/platform';
import { loadMilestoneRules, type MilestoneRules } from './milestone-rules.ts';

export { rulesSchema, type MilestoneRules } from './milestone-rules.ts';

/** The notifier reads the aggregates' and the sales' change topics, <CDC_TOPIC_PREFIX>.analytics.* and .public.sales. */
const schema = cdcWorkerSchema({
  /** SLACK_BOT_TOKEN: bot token (xoxb-…). Unset: dry run, messages go to the log. */
  SLACK_BOT_TOKEN: z
    .string()
    .trim()
    .transform((v) => v || undefined)
    .optional(),
  /** SLACK_CHANNEL: channel id or name to post to. Required with a token. */
  SLACK_CHANNEL: z
    .string()
    .trim()
    .transform((v) => v || undefined)
    .optional(),
  /** SLACK_API_URL: base URL of the Slack Web API. Default https://slack.com/api/. */
  SLACK_API_URL: z
    .string()
    .trim()
    .transform((v) => v || undefined)
    .pipe(z.url().optional())
    .optional(),
  /** NOTIFIER_LANGUAGE: `fr` (default) or `en`. */
  NOTIFIER_LANGUAGE: z.enum(['fr', 'en']).default('fr'),
  /** MILESTONE_RULES_FILE: JSON file overriding the default rules. */
  MILESTONE_RULES_FILE: z.string().min(1).optional(),
  /** NOTIFIER_GROUP: consumer group (offsets in PostgreSQL). */
  NOTIFIER_GROUP: z.string().min(1).default('sales-pipeline.notifier'),
  /** SLACK_MIN_INTERVAL_MS: least time between two posts to the channel (Slack allows ~1/s). Default 1100. */
  SLACK_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(1100),
  /**
   * NOTIFIER_DIGEST_AFTER: when more milestones than this wait, one digest message summarises them
   * (0: never, one message each). Default 5.
   */
  NOTIFIER_DIGEST_AFTER: z.coerce.number().int().min(0).default(5),
  /** NOTIFIER_DIGEST_MAX: most milestones in one digest. Default 500. */
  NOTIFIER_DIGEST_MAX: z.coerce.number().int().min(2).max(10_000).default(500),
  /** NOTIFIER_DIGEST_INTERVAL_MS: after a digest, the channel rests this long (the next digest gathers what came). Default 60000. */
  NOTIFIER_DIGEST_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** NOTIFIER_SESSION_TIMEOUT_MS: see CONSUMER_SESSION_TIMEOUT_MS. */
  NOTIFIER_SESSION_TIMEOUT_MS: sessionTimeoutMsSchema,
}).refine((c) => !c.SLACK_BOT_TOKEN || c.SLACK_CHANNEL, {
  path: ['SLACK_CHANNEL'],
  message: 'is required when SLACK_BOT_TOKEN is set',
});

export type NotifierConfig = z.infer<typeof schema> & { rules: MilestoneRules };

/** The notifier's configuration and rules, validated once at start. */
export function loadNotifierConfig(env: Env = process.env): NotifierConfig {
  const config = parseConfig(schema, env);
  return { ...config, rules: loadMilestoneRules(config.MILESTONE_RULES_FILE) };
}
